import type { Database } from '../connect';
import { prepared } from './rows';

/**
 * Utterances: idempotent insert on (conversation_id, seq) and a conversation's turns in order.
 * One row shape everywhere (call path, transcript socket, history, export): the wire shape of
 * protocol's Utterance, times as ISO 8601 text, so no caller converts it again.
 */
export interface UtteranceMetrics {
  endOfUtteranceDelayMs: number | null;
  transcriptionDelayMs: number | null;
  llmTtftMs: number | null;
  ttsTtfbMs: number | null;
  e2eLatencyMs: number | null;
  /** Which provider served each stage of the turn (a fallback after a failover); in the jsonb column. Names as protocol's SttProvider/LlmProvider/TtsProvider. */
  servedBy?: {
    stt?: 'deepgram' | 'openai' | 'local';
    llm?: 'openai' | 'xai' | 'openai-compatible' | 'offline';
    tts?: 'cartesia' | 'openai' | 'local';
  };
}

export interface UtteranceRecord {
  seq: number;
  role: 'user' | 'agent';
  text: string;
  language: string;
  /** ISO 8601, UTC. */
  startedAt: string;
  endedAt: string;
  interrupted: boolean;
  metrics: UtteranceMetrics | null;
  /** Typed in the call's text box instead of said (user turns). Absent when writing means false. */
  typed?: boolean;
}

export const UTTERANCE_COLUMNS = [
  'seq',
  'role',
  'text',
  'language',
  'started_at',
  'ended_at',
  'interrupted',
  'metrics',
  'typed',
];

/**
 * A timestamptz column as the text `Date.toISOString()` gives (UTC, milliseconds truncated like a
 * JS Date), formatted by Postgres: parsing 1,000 timestamps into Dates and back was most of the
 * node-side cost of reading a 500-turn conversation (issue 15, docs/performance.md).
 */
const isoMs = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A conversation's turns in seq order after a seq, as a named statement (its plan is the same for
 * every conversation: the (conversation_id, seq) index from that seq on); `LIMIT NULL` reads them all.
 */
const LIST_SQL = `SELECT ${UTTERANCE_COLUMNS.map((c) => (c === 'started_at' || c === 'ended_at' ? `${isoMs(c)} AS ${c}` : c)).join(', ')}
FROM utterances WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`;

/** Lower than any seq: `afterSeq` when a read starts at the first turn. */
const BEFORE_FIRST_SEQ = -2147483648;

/**
 * A conversation's stored transcript document (migration 017), only while it holds every turn:
 * `turns` equals the conversation's turn_count (inserts only ever add turns, and each raises
 * turn_count in its own statement).
 */
const DOCUMENT_SQL = `SELECT t.doc FROM conversation_transcripts t
JOIN conversations c ON c.id = t.conversation_id AND c.turn_count = t.turns
WHERE t.conversation_id = ?`;

/**
 * Stores a whole read of an ended conversation as its document, only if it holds as many turns as
 * turn_count says now: a turn stored since that read raised turn_count past it (nothing is kept),
 * and one stored after this statement makes the document stale, so a stale one is never served
 * (the next whole read replaces it). A conversation deleted meanwhile stores nothing.
 */
const STORE_DOCUMENT_SQL = `INSERT INTO conversation_transcripts (conversation_id, turns, doc)
SELECT id, turn_count, ? FROM conversations WHERE id = ? AND ended_at IS NOT NULL AND turn_count = ?
ON CONFLICT (conversation_id) DO UPDATE SET turns = excluded.turns, doc = excluded.doc`;

const FIRST_USER_TEXT_SQL = `SELECT text FROM utterances WHERE conversation_id = ? AND role = 'user' ORDER BY seq LIMIT 1`;

/** Works for pg and PGlite rows alike. */
export function toUtteranceRecord(r: Record<string, any>): UtteranceRecord {
  return recordOf((c) => r[c], new Date(r.started_at).toISOString(), new Date(r.ended_at).toISOString());
}

/** Where each of UTTERANCE_COLUMNS sits in a row read with `rowMode: 'array'`. */
const COLUMN_INDEX = new Map(UTTERANCE_COLUMNS.map((c, i) => [c, i]));

/** The one mapping of an utterance row, whatever its shape (`get` reads a column by name). */
function recordOf(get: (column: string) => any, startedAt: string, endedAt: string): UtteranceRecord {
  return {
    seq: Number(get('seq')),
    role: get('role'),
    text: get('text'),
    language: get('language'),
    startedAt,
    endedAt,
    interrupted: !!get('interrupted'),
    metrics: get('metrics') ?? null,
    // As on the wire: present only on a typed turn.
    ...(get('typed') ? { typed: true } : {}),
  };
}

/** One caller's insert, waiting to be written with whatever else is waiting (see UtterancesRepository.insert). */
interface PendingInsert {
  conversationId: string;
  userId: string;
  utterances: readonly UtteranceRecord[];
  resolve: (seqs: number[]) => void;
  reject: (err: unknown) => void;
}

/**
 * The whole write as one constant statement over one JSON parameter (rows of any number of
 * conversations): no query building per call, one round trip and one commit for a group. Duplicate
 * (conversation, seq) pairs — stored already, or twice in the group — are skipped by ON CONFLICT DO
 * NOTHING; each conversation's turn_count grows by the rows actually inserted for it, in the same
 * statement, so the count and the rows cannot disagree.
 */
const INSERT_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset(?::jsonb) AS r(
    conversation_id uuid, user_id uuid, seq integer, role text, text text, language text,
    started_at timestamptz, ended_at timestamptz, interrupted boolean, metrics jsonb, typed boolean)
), ins AS (
  INSERT INTO utterances (conversation_id, user_id, seq, role, text, language, started_at, ended_at, interrupted, metrics, typed)
  SELECT conversation_id, user_id, seq, role, text, language, started_at, ended_at, interrupted,
         NULLIF(metrics, 'null'::jsonb), typed
  FROM input
  ON CONFLICT (conversation_id, seq) DO NOTHING
  RETURNING conversation_id, seq
), counted AS (
  UPDATE conversations c SET turn_count = c.turn_count + n.inserted
  FROM (SELECT conversation_id, count(*) AS inserted FROM ins GROUP BY conversation_id) n
  WHERE c.id = n.conversation_id
)
SELECT conversation_id, seq FROM ins`;

/** A write refused for its rows (SQLSTATE class 22 data exception, 23 integrity constraint), not for the connection. */
const isRowError = (err: unknown) => /^2[23]/.test(String((err as { code?: unknown } | null)?.code ?? ''));

/**
 * At most this many insert statements of one repository in flight (of the pool's 10 connections);
 * callers beyond wait and are written together. At 2, every write queued behind the two running
 * ones whenever the gateway's event loop was busy: in the fan-out benchmark with signed-in users
 * the utterance p50 went from 3.3 to 13 ms and p95 from 33 to 315 ms (docs/performance.md).
 */
const MAX_INSERTS_IN_FLIGHT = 8;

export class UtterancesRepository {
  #pending: PendingInsert[] = [];
  #inFlight = 0;

  constructor(private readonly db: Database) {}

  /**
   * Inserts utterances, skipping any whose seq is already stored, and adds the new ones to the
   * conversation's turn_count — one statement, so it is atomic. Returns the seqs actually inserted,
   * so the caller can tell new from replayed; it resolves only once they are committed.
   *
   * Calls that arrive while MAX_INSERTS_IN_FLIGHT statements are running are written together in
   * the next one (group commit): under load the gateway makes one round trip and one commit for
   * many conversations' utterances instead of one each. If a group's statement fails, each of its
   * calls is retried alone when the error is about its rows, so one conversation's bad write (e.g.
   * it was deleted meanwhile) fails only that call; a connection error fails them all at once.
   */
  insert(conversationId: string, userId: string, utterances: readonly UtteranceRecord[]): Promise<number[]> {
    if (utterances.length === 0) return Promise.resolve([]);
    return new Promise<number[]>((resolve, reject) => {
      this.#pending.push({ conversationId, userId, utterances, resolve, reject });
      this.#pump();
    });
  }

  #pump() {
    while (this.#inFlight < MAX_INSERTS_IN_FLIGHT && this.#pending.length > 0) {
      const group = this.#pending.splice(0);
      this.#inFlight++;
      void this.#writeGroup(group).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #writeGroup(group: PendingInsert[]) {
    try {
      const stored = await this.#write(group);
      for (const p of group) p.resolve(stored.get(p) ?? []);
    } catch (err) {
      // Storage down (no SQLSTATE of a bad row): every caller gets the error at once and retries.
      if (group.length === 1 || !isRowError(err)) return group.forEach((p) => p.reject(err));
      for (const p of group)
        await this.#write([p]).then(
          (stored) => p.resolve(stored.get(p) ?? []),
          (e: unknown) => p.reject(e),
        );
    }
  }

  /** One statement for the group; which seqs each caller inserted (a pair in two calls counts for the first). */
  async #write(group: PendingInsert[]): Promise<Map<PendingInsert, number[]>> {
    const rows = group.flatMap((p) =>
      p.utterances.map((u) => ({
        conversation_id: p.conversationId,
        user_id: p.userId,
        seq: u.seq,
        role: u.role,
        text: u.text,
        language: u.language,
        started_at: u.startedAt,
        ended_at: u.endedAt,
        interrupted: u.interrupted,
        metrics: u.metrics,
        typed: u.typed ?? false,
      })),
    );
    // Named: each connection plans it once (0.3 of 1.0 ms per one-row write at load 2.6, 4 December).
    const result = await prepared(this.db, 'utterances_insert', INSERT_SQL, [JSON.stringify(rows)]);
    const inserted = new Set(
      (result.rows as Array<{ conversation_id: string; seq: number }>).map((r) => `${r.conversation_id}/${r.seq}`),
    );
    const out = new Map<PendingInsert, number[]>();
    for (const p of group) {
      const seqs: number[] = [];
      for (const u of p.utterances) {
        const key = `${p.conversationId.toLowerCase()}/${u.seq}`;
        if (inserted.delete(key)) seqs.push(u.seq);
      }
      out.set(p, seqs);
    }
    return out;
  }

  /**
   * A conversation's turns in seq order; `limit` reads only the first ones (title generation), or
   * with `afterSeq` the ones after that seq (a page of the transcript).
   */
  async list(conversationId: string, limit?: number, afterSeq?: number): Promise<UtteranceRecord[]> {
    if (limit === undefined && afterSeq === undefined) return this.#all(conversationId);
    return this.#rows(conversationId, limit, afterSeq);
  }

  /**
   * Every turn: the stored document of an ended conversation (one row, one JSON.parse), else the
   * rows, kept as the document when the conversation has ended (migration 017 says why).
   */
  async #all(conversationId: string): Promise<UtteranceRecord[]> {
    const stored = await prepared(this.db, 'utterances_document', DOCUMENT_SQL, [conversationId]);
    const doc = (stored.rows as Array<{ doc: string }>)[0]?.doc;
    if (doc !== undefined) return JSON.parse(doc) as UtteranceRecord[];
    const rows = await this.#rows(conversationId);
    if (rows.length > 0)
      await prepared(this.db, 'utterances_store_document', STORE_DOCUMENT_SQL, [
        JSON.stringify(rows),
        conversationId,
        rows.length,
      ]);
    return rows;
  }

  async #rows(conversationId: string, limit?: number, afterSeq?: number): Promise<UtteranceRecord[]> {
    // Rows as arrays in UTTERANCE_COLUMNS order (no object per row: a 500-turn read is 500 rows);
    // times come back as isoMs text already.
    const result = await prepared(
      this.db,
      'utterances_list',
      LIST_SQL,
      [conversationId, afterSeq ?? BEFORE_FIRST_SEQ, limit ?? null],
      { rowMode: 'array' },
    );
    return (result.rows as any[][]).map((r) => {
      const get = (c: string) => r[COLUMN_INDEX.get(c)!];
      return recordOf(get, get('started_at'), get('ended_at'));
    });
  }

  /** The text of the conversation's first user turn, or null (a transcript page's title fallback). */
  async firstUserText(conversationId: string): Promise<string | null> {
    const result = await prepared(this.db, 'utterances_first_user_text', FIRST_USER_TEXT_SQL, [conversationId]);
    return (result.rows as Array<{ text: string }>)[0]?.text ?? null;
  }
}
