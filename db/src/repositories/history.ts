import type { Knex } from 'knex';
import type { Database } from '../connect';
import { num, prepared, rowsOf, type Row } from './rows';

/**
 * History listing and search: a user's conversations, newest first in keyset pages, optionally
 * filtered by date and by a full-text query over their utterances (with a highlighted headline).
 * Plain SQL that runs unchanged on Postgres and on embedded PGlite.
 */

/** Marks ts_headline puts around matches (Unicode private-use characters, stripped from the text first). */
export const HIGHLIGHT_START = '\uE000';
export const HIGHLIGHT_STOP = '\uE001';
const HEADLINE_OPTIONS = `StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_STOP}, MaxWords=24, MinWords=10, ShortWord=1, MaxFragments=2, FragmentDelimiter=" … "`;

export interface KeysetPosition {
  /** created_at with microseconds, UTC ISO text (e.g. 2025-01-02T03:04:05.123456Z). */
  createdAt: string;
  id: string;
}

export interface ListConversationsQuery {
  userId: string;
  limit: number;
  after?: KeysetPosition | undefined;
  /** websearch syntax; matched against the 'simple' tsvector of the user's utterances. */
  q?: string | undefined;
  from?: Date | undefined;
  /** Exclusive upper bound. */
  to?: Date | undefined;
}

export interface ConversationSummaryRow {
  id: string;
  title: string | null;
  createdAt: Date;
  position: KeysetPosition;
  startedAt: Date | null;
  endedAt: Date | null;
  durationMs: number | null;
  turnCount: number;
  /** First user utterance (title fallback and snippet without a search). */
  firstUserText: string | null;
  /** ts_headline of the first matching utterance, with HIGHLIGHT_START/STOP marks (search only). */
  headline: string | null;
}

const POSITION_SQL = `to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function toSummary(r: Row): ConversationSummaryRow {
  return {
    id: r.id,
    title: r.title,
    createdAt: new Date(r.created_at),
    position: { createdAt: r.position, id: r.id },
    startedAt: r.started_at ? new Date(r.started_at) : null,
    endedAt: r.ended_at ? new Date(r.ended_at) : null,
    durationMs: num(r.duration_ms),
    turnCount: Number(r.turn_count),
    firstUserText: r.first_user_text ?? null,
    headline: r.headline ?? null,
  };
}

/**
 * The words of a search that is nothing but plain words (letters and digits, no websearch
 * operator): lower-cased, as the 'simple' configuration makes them lexemes. Null for anything else
 * (quotes, -word, or, punctuation), which the planner handles per query.
 */
export function plainLexemes(q: string): string[] | null {
  const words = q.split(/\s+/).filter(Boolean);
  if (words.length === 0 || words.some((w) => !/^[\p{L}\p{N}]+$/u.test(w) || w.toLowerCase() === 'or')) return null;
  return words.map((w) => w.toLowerCase());
}

/**
 * How a plain-word search finds the user's matching conversations:
 * - 'terms': the per-bucket term index (migration 016) lists the turns of the user's bucket holding
 *   every word, and only those are rechecked; its cost grows with how many turns match.
 * - 'walk': the user's conversations newest first, each probed turn by turn in (conversation_id, seq)
 *   order until one matches; its cost grows with how many conversations hold no match, so it suits
 *   words found in a good share of turns (it stops after a page of matches).
 * At 1,000,000 turns (generic plans, EXPLAIN ANALYZE, docs/performance.md) the two cross near 0.5 %
 * of turns: 0.36 % of turns terms 1.5 ms / walk 2.9 ms, 0.8 % terms 2.5 / walk 1.4, 3.3 % terms 25 /
 * walk 0.6; a word in no turn of the user is 0.5 ms by terms and a walk through all of them (138 ms)
 * by walk, which the walk window below bounds.
 */
export type SearchStrategy = 'terms' | 'walk';

/** Share of turns from which a search walks the conversations instead of reading the term index. */
export const WALK_FROM_SHARE = 0.005;

/**
 * The strategy for plain words from the share of turns holding each (Postgres's statistics of
 * utterances.tsv: its most common lexemes; a word not among them counts as 0). Several words must
 * all be in one turn, so their shares multiply (as if independent).
 */
export function chooseStrategy(lexemes: readonly string[], shares: ReadonlyMap<string, number>): SearchStrategy {
  const share = lexemes.reduce((p, l) => p * (shares.get(l) ?? 0), 1);
  return share >= WALK_FROM_SHARE ? 'walk' : 'terms';
}

/** Postgres's most common lexemes of utterances.tsv and the share of turns holding each (empty before ANALYZE). */
export async function lexemeSharesFromStatistics(db: Database): Promise<Map<string, number>> {
  const r = await db.raw(
    `SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs AS freqs FROM pg_stats s
     WHERE s.schemaname = current_schema() AND s.tablename = 'utterances' AND s.attname = 'tsv'`,
  );
  const row = rowsOf(r)[0];
  const shares = new Map<string, number>();
  const elems: string[] = row?.elems ?? [];
  const freqs: unknown[] = row?.freqs ?? [];
  elems.forEach((e, i) => shares.set(e, Number(freqs[i])));
  return shares;
}

export interface HistoryRepositoryOptions {
  /** Where the lexeme shares come from (Postgres's statistics; a test passes its own). */
  lexemeShares?: (db: Database) => Promise<Map<string, number>>;
  /** How long the shares are kept before they are read again. */
  sharesTtlMs?: number;
  /**
   * Conversations a walk reads at most before it gives way to the term index: a word common over
   * all users can be rare for this one (a walk through all 4,976 conversations of the benchmark's
   * user took 138 ms; 400 of them about 10 ms).
   */
  walkWindow?: number;
}

export class HistoryRepository {
  #shares: { at: number; value: Promise<Map<string, number>> } | null = null;
  readonly #lexemeShares: (db: Database) => Promise<Map<string, number>>;
  readonly #sharesTtlMs: number;
  readonly #walkWindow: number;

  constructor(
    private readonly db: Database,
    options: HistoryRepositoryOptions = {},
  ) {
    this.#lexemeShares = options.lexemeShares ?? lexemeSharesFromStatistics;
    this.#sharesTtlMs = options.sharesTtlMs ?? 10 * 60_000;
    this.#walkWindow = options.walkWindow ?? 400;
  }

  /** The lexeme shares, read at most once per TTL (a failed read is retried on the next search). */
  async #sharesNow(): Promise<Map<string, number>> {
    const now = Date.now();
    if (!this.#shares || now - this.#shares.at > this.#sharesTtlMs) {
      const value = this.#lexemeShares(this.db);
      this.#shares = { at: now, value };
      value.catch(() => {
        if (this.#shares?.value === value) this.#shares = null;
      });
    }
    return this.#shares.value;
  }

  /**
   * Newest first, keyset on (created_at, id). Returns up to `limit` rows and whether more follow.
   * With `q`, only conversations holding a matching utterance are listed. Plain words go through
   * one of two named statements (see SearchStrategy), chosen from the words' frequency; any other
   * websearch query is planned for its words by Postgres. The headline is computed for the returned
   * page only.
   */
  async list(query: ListConversationsQuery): Promise<{ rows: ConversationSummaryRow[]; hasMore: boolean }> {
    const q = query.q?.trim();
    const lexemes = q ? plainLexemes(q) : null;
    if (q && lexemes) {
      const strategy = chooseStrategy(lexemes, await this.#sharesNow());
      if (strategy === 'walk') {
        const walked = await this.#search(query, q, 'walk');
        if (walked.hasMore || !(await this.#walkWindowFull(query))) return walked;
        // Fewer matches than a page within the window: the word is rarer for this user than overall.
      }
      return this.#search(query, q, 'terms');
    }
    return this.#listPlanned(query, q);
  }

  /** The filters on c (keyset position, dates) as SQL and bindings, and the statement name's suffix. */
  #filters(query: ListConversationsQuery): { sql: string; bindings: Knex.Value[]; suffix: string } {
    const where: string[] = [];
    const bindings: Knex.Value[] = [];
    if (query.after) {
      where.push('AND (c.created_at, c.id) < (?::timestamptz, ?::uuid)');
      bindings.push(query.after.createdAt, query.after.id);
    }
    if (query.from) {
      where.push('AND c.created_at >= ?::timestamptz');
      bindings.push(query.from.toISOString());
    }
    if (query.to) {
      where.push('AND c.created_at < ?::timestamptz');
      bindings.push(query.to.toISOString());
    }
    const suffix = `${query.after ? '_after' : ''}${query.from ? '_from' : ''}${query.to ? '_to' : ''}`;
    return { sql: where.join(' '), bindings, suffix };
  }

  /** Whether the user has at least a walk window of conversations from the query's position on. */
  async #walkWindowFull(query: ListConversationsQuery): Promise<boolean> {
    const f = this.#filters(query);
    const r = await prepared(
      this.db,
      `history_walk_window${f.suffix}`,
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM conversations c WHERE c.user_id = ? ${f.sql} LIMIT ?) w`,
      [query.userId, ...f.bindings, this.#walkWindow],
    );
    return Number(rowsOf(r)[0]?.n ?? 0) >= this.#walkWindow;
  }

  /**
   * A plain-word search as a named statement. Each shape is fixed by the SQL itself, so the generic
   * plan Postgres may keep after five runs is the plan meant for every word:
   * - the tsquery is computed once (a MATERIALIZED CTE read through scalar subqueries: one InitPlan),
   *   not once per row probed;
   * - 'terms': the matching turns' conversations first, then each conversation by primary key in a
   *   LATERAL … OFFSET 0 subquery (a nested loop: joined by hash, the generic plan read all of the
   *   user's 4,976 conversations, 2 ms);
   * - 'walk': the user's conversations by (user_id, created_at, id) backwards, at most the walk
   *   window of them, each probed through (conversation_id, seq) with the match hidden from the
   *   planner (CASE … IS NOT NULL), so no GIN index is mixed in.
   */
  async #search(query: ListConversationsQuery, q: string, strategy: SearchStrategy) {
    const f = this.#filters(query);
    const columns = `c.id, c.title, c.created_at, ${POSITION_SQL} AS position, c.started_at, c.ended_at, c.duration_ms, c.turn_count`;
    let body: string;
    let bindings: Knex.Value[];
    if (strategy === 'terms') {
      body = `hits AS MATERIALIZED (
        SELECT DISTINCT u.conversation_id AS id FROM utterances u
        WHERE parley_bucket_terms(u.user_id, u.tsv) @> parley_query_terms(?::uuid, (SELECT q FROM tq))
          AND (CASE WHEN u.user_id = ? AND u.tsv @@ (SELECT q FROM tq) THEN true END) IS NOT NULL
      ), page AS (
        SELECT c.* FROM hits, LATERAL (
          SELECT ${columns} FROM conversations c
          WHERE c.id = hits.id AND c.user_id = ? ${f.sql} OFFSET 0) c
        ORDER BY c.created_at DESC, c.id DESC
        LIMIT ?
      )`;
      bindings = [q, query.userId, query.userId, query.userId, ...f.bindings, query.limit + 1];
    } else {
      body = `page AS (
        SELECT c.* FROM (
          SELECT ${columns} FROM conversations c
          WHERE c.user_id = ? ${f.sql}
          ORDER BY c.created_at DESC, c.id DESC
          LIMIT ?) c
        WHERE EXISTS (SELECT 1 FROM utterances u WHERE u.conversation_id = c.id
          AND (CASE WHEN u.user_id = ? AND u.tsv @@ (SELECT q FROM tq) THEN true END) IS NOT NULL)
        ORDER BY c.created_at DESC, c.id DESC
        LIMIT ?
      )`;
      bindings = [q, query.userId, ...f.bindings, this.#walkWindow, query.userId, query.limit + 1];
    }
    const sql = `
    WITH tq AS MATERIALIZED (SELECT websearch_to_tsquery('simple', ?) AS q), ${body}
    SELECT p.*, fu.first_user_text, h.headline
    FROM page p
    LEFT JOIN LATERAL (
      SELECT f.text AS first_user_text FROM utterances f
      WHERE f.conversation_id = p.id AND f.role = 'user' ORDER BY f.seq LIMIT 1) fu ON true
    LEFT JOIN LATERAL (
      SELECT ts_headline('simple', translate(m.text, '${HIGHLIGHT_START}${HIGHLIGHT_STOP}', ''), (SELECT q FROM tq), '${HEADLINE_OPTIONS}') AS headline
      FROM utterances m
      WHERE m.conversation_id = p.id AND (CASE WHEN m.tsv @@ (SELECT q FROM tq) THEN true END) IS NOT NULL
      ORDER BY m.seq LIMIT 1) h ON true
    ORDER BY p.created_at DESC, p.id DESC`;
    const result = await prepared(this.db, `history_search_${strategy}${f.suffix}`, sql, bindings);
    const rows = rowsOf(result).map(toSummary);
    const hasMore = rows.length > query.limit;
    return { rows: hasMore ? rows.slice(0, query.limit) : rows, hasMore };
  }

  /** The listing without a search (a named statement), or a search Postgres plans for its words. */
  async #listPlanned(
    query: ListConversationsQuery,
    q: string | undefined,
  ): Promise<{ rows: ConversationSummaryRow[]; hasMore: boolean }> {
    const f = this.#filters(query);
    let search = '';
    const searchBindings: Knex.Value[] = [];
    let headlineJoin = '';
    const headlineBindings: Knex.Value[] = [];
    if (q) {
      // The tsquery is written out (not shared through a CTE) so the planner folds the constant
      // and estimates its selectivity from the column statistics.
      // OR / NOT / quoted phrases / punctuation: the GIN index on tsv for a rare word, a walk
      // through the user's conversations newest first for a common one (the planner chooses).
      // "(user_id = ?) IS TRUE" is checked on the matching rows only: letting the planner AND the
      // GIN bitmap with the user_id index costs a scan of the user's whole posting (7 ms at 100k
      // turns, measured with EXPLAIN ANALYZE), far more than rechecking a few hundred matches.
      search = `AND c.id IN (SELECT u.conversation_id FROM utterances u WHERE (u.user_id = ?) IS TRUE AND u.tsv @@ websearch_to_tsquery('simple', ?))`;
      searchBindings.push(query.userId, q);
      headlineJoin = `LEFT JOIN LATERAL (
        SELECT ts_headline('simple', translate(m.text, '${HIGHLIGHT_START}${HIGHLIGHT_STOP}', ''), websearch_to_tsquery('simple', ?), '${HEADLINE_OPTIONS}') AS headline
        FROM utterances m
        WHERE m.conversation_id = p.id AND (CASE WHEN m.tsv @@ websearch_to_tsquery('simple', ?) THEN true END) IS NOT NULL
        ORDER BY m.seq LIMIT 1) h ON true`;
      // The match test is hidden from the planner (CASE … IS NOT NULL): it keeps the GIN index out
      // of this probe (intersecting with the word's whole posting list once per listed conversation
      // costs far more), and with no selectivity taken from the tsv statistics Postgres walks the
      // conversation's turns in (conversation_id, seq) order and stops at the first match, instead
      // of fetching all of them and sorting ("IS TRUE" did that: EXPLAIN ANALYZE at 1,000,000
      // turns, common word 0.97 → 0.60 ms, rare 0.40 → 0.29 ms; docs/performance.md).
      headlineBindings.push(q, q);
    }
    const sql = `
    WITH page AS (
      SELECT c.id, c.title, c.created_at, ${POSITION_SQL} AS position, c.started_at, c.ended_at,
             c.duration_ms, c.turn_count
      FROM conversations c
      WHERE c.user_id = ? ${f.sql} ${search}
      ORDER BY c.created_at DESC, c.id DESC
      LIMIT ?
    )
    SELECT p.*, fu.first_user_text${q ? ', h.headline' : ''}
    FROM page p
    LEFT JOIN LATERAL (
      SELECT f.text AS first_user_text FROM utterances f
      WHERE f.conversation_id = p.id AND f.role = 'user' ORDER BY f.seq LIMIT 1) fu ON true
    ${headlineJoin}
    ORDER BY p.created_at DESC, p.id DESC`;
    const values = [query.userId, ...f.bindings, ...searchBindings, query.limit + 1, ...headlineBindings];
    // Without a search the plan is the same for every user and position: a named statement, parsed
    // and planned once per connection (one name per combination of filters, i.e. per SQL text). This
    // search stays unnamed and is planned for its words every time: its generic plan (which Postgres
    // may settle on after five runs of a named statement) walked every conversation of the user for
    // a rare word and probed the whole posting list of a common one per conversation (EXPLAIN
    // ANALYZE at 1,000,000 turns: 309 and 681 ms; docs/performance.md).
    const result = q ? await this.db.raw(sql, values) : await prepared(this.db, `history_list${f.suffix}`, sql, values);
    const rows = rowsOf(result).map(toSummary);
    const hasMore = rows.length > query.limit;
    return { rows: hasMore ? rows.slice(0, query.limit) : rows, hasMore };
  }
}
