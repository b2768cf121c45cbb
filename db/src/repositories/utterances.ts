import type { Database } from '../connect';

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

/** Works for pg and PGlite rows alike. */
export function toUtteranceRecord(r: Record<string, any>): UtteranceRecord {
  return withTimes(r, new Date(r.started_at).toISOString(), new Date(r.ended_at).toISOString());
}

function withTimes(r: Record<string, any>, startedAt: string, endedAt: string): UtteranceRecord {
  return {
    seq: Number(r.seq),
    role: r.role,
    text: r.text,
    language: r.language,
    startedAt,
    endedAt,
    interrupted: !!r.interrupted,
    metrics: r.metrics ?? null,
    // As on the wire: present only on a typed turn.
    ...(r.typed ? { typed: true } : {}),
  };
}

export class UtterancesRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts utterances, skipping any whose seq is already stored, and adds the new ones to the
   * conversation's turn_count — one statement (data-modifying CTEs), so it is atomic and costs one
   * round trip. Returns the seqs actually inserted, so the caller can tell new from replayed.
   */
  async insert(conversationId: string, userId: string, utterances: readonly UtteranceRecord[]): Promise<number[]> {
    if (utterances.length === 0) return [];
    const insert = this.db('utterances')
      .insert(
        utterances.map((u) => ({
          conversation_id: conversationId,
          user_id: userId,
          seq: u.seq,
          role: u.role,
          text: u.text,
          language: u.language,
          started_at: u.startedAt,
          ended_at: u.endedAt,
          interrupted: u.interrupted,
          metrics: u.metrics === null ? null : JSON.stringify(u.metrics),
          typed: u.typed ?? false,
        })),
      )
      .onConflict(['conversation_id', 'seq'])
      .ignore()
      .returning(['seq'])
      .toSQL();
    const result = await this.db.raw(
      `WITH ins AS (${insert.sql}),
            counted AS (UPDATE conversations SET turn_count = turn_count + (SELECT count(*) FROM ins) WHERE id = ?)
       SELECT seq FROM ins`,
      [...insert.bindings, conversationId],
    );
    return (result.rows as Array<{ seq: number }>).map((r) => r.seq);
  }

  /** A conversation's turns in seq order; `limit` reads only the first ones (title generation). */
  async list(conversationId: string, limit?: number): Promise<UtteranceRecord[]> {
    const columns = UTTERANCE_COLUMNS.map((c) =>
      c === 'started_at' || c === 'ended_at' ? this.db.raw(`${isoMs(c)} AS ${c}`) : c,
    );
    const query = this.db('utterances')
      .where({ conversation_id: conversationId })
      .orderBy('seq', 'asc')
      .select(columns);
    if (limit !== undefined) query.limit(limit);
    // Times come back as isoMs text already.
    return (await query).map((r: Record<string, any>) => withTimes(r, r.started_at, r.ended_at));
  }
}
