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
 * Two or more words with no websearch operator ("quotes", -word, or): websearch_to_tsquery makes
 * them an AND of lexemes, every one of which a match must hold. Anything else keeps the tsv plan.
 */
export function severalPlainWords(q: string): boolean {
  const words = q.split(/\s+/).filter(Boolean);
  return words.length >= 2 && !/["-]/.test(q) && !words.some((w) => w.toLowerCase() === 'or');
}

export class HistoryRepository {
  constructor(private readonly db: Database) {}

  /**
   * Newest first, keyset on (created_at, id). Returns up to `limit` rows and whether more follow.
   * With `q`, only conversations holding a matching utterance are listed; the match is found through
   * a GIN index restricted to the user (semi-join): utterances.tsv for one word, the per-bucket
   * terms for several plain words. The headline is computed for the returned page only.
   */
  async list(query: ListConversationsQuery): Promise<{ rows: ConversationSummaryRow[]; hasMore: boolean }> {
    const where: string[] = ['c.user_id = ?'];
    const bindings: Knex.Value[] = [query.userId];
    if (query.after) {
      where.push('(c.created_at, c.id) < (?::timestamptz, ?::uuid)');
      bindings.push(query.after.createdAt, query.after.id);
    }
    if (query.from) {
      where.push('c.created_at >= ?::timestamptz');
      bindings.push(query.from.toISOString());
    }
    if (query.to) {
      where.push('c.created_at < ?::timestamptz');
      bindings.push(query.to.toISOString());
    }
    const q = query.q?.trim();
    let headlineJoin = '';
    const headlineBindings: Knex.Value[] = [];
    if (q) {
      // The tsquery is written out (not shared through a CTE) so the planner folds the constant
      // and estimates its selectivity from the column statistics.
      if (severalPlainWords(q)) {
        // Several words, all required: the per-bucket term index (migration 016) finds the turns
        // holding every word among this user's bucket only, instead of intersecting the words'
        // posting lists over all users (1.2 ms of the 1.9 ms query for "garden tomorrow" at
        // 1,000,000 turns, measured with EXPLAIN ANALYZE). The owner and the exact tsquery (phrases,
        // other users in the bucket) are rechecked on those turns only; written as CASE … IS NOT
        // NULL so the planner neither reaches for the tsv or user_id indexes nor multiplies in
        // their selectivities, which the bucket match already implies.
        where.push(
          `c.id IN (SELECT u.conversation_id FROM utterances u
             WHERE parley_bucket_terms(u.user_id, u.tsv) @> parley_query_terms(?::uuid, websearch_to_tsquery('simple', ?))
               AND (CASE WHEN u.user_id = ? AND u.tsv @@ websearch_to_tsquery('simple', ?) THEN true END) IS NOT NULL)`,
        );
        bindings.push(query.userId, q, query.userId, q);
      } else {
        // One word, or OR / NOT / quoted phrases: the GIN index on tsv for a rare word, a walk
        // through the user's conversations newest first for a common one (the planner chooses).
        // "(user_id = ?) IS TRUE" is checked on the matching rows only: letting the planner AND the
        // GIN bitmap with the user_id index costs a scan of the user's whole posting (7 ms at 100k
        // turns, measured with EXPLAIN ANALYZE), far more than rechecking a few hundred matches.
        where.push(
          `c.id IN (SELECT u.conversation_id FROM utterances u WHERE (u.user_id = ?) IS TRUE AND u.tsv @@ websearch_to_tsquery('simple', ?))`,
        );
        bindings.push(query.userId, q);
      }
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
      WHERE ${where.join(' AND ')}
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
    const values = [...bindings, query.limit + 1, ...headlineBindings];
    // Without a search the plan is the same for every user and position: a named statement, parsed
    // and planned once per connection (one name per combination of filters, i.e. per SQL text). A
    // search stays unnamed and is planned for its words every time: a generic plan (which Postgres
    // may settle on after five runs of a named statement) walked every conversation of the user for
    // a rare word and probed the whole posting list of a common one per conversation (EXPLAIN
    // ANALYZE at 1,000,000 turns: 309 and 681 ms; docs/performance.md).
    const result = q
      ? await this.db.raw(sql, values)
      : await prepared(
          this.db,
          `history_list${query.after ? '_after' : ''}${query.from ? '_from' : ''}${query.to ? '_to' : ''}`,
          sql,
          values,
        );
    const rows = rowsOf(result).map(toSummary);
    const hasMore = rows.length > query.limit;
    return { rows: hasMore ? rows.slice(0, query.limit) : rows, hasMore };
  }
}
