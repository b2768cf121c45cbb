import type { Knex } from 'knex';

/**
 * Utterances as the call path needs them: idempotent insert on (conversation_id, seq) and the
 * ordered transcript of one conversation (the WebSocket snapshot). Search and paging live in history.ts.
 */
export interface UtteranceMetrics {
  endOfUtteranceDelayMs: number | null;
  transcriptionDelayMs: number | null;
  llmTtftMs: number | null;
  ttsTtfbMs: number | null;
  e2eLatencyMs: number | null;
}

export interface UtteranceRecord {
  seq: number;
  role: 'user' | 'agent';
  text: string;
  language: string;
  /** ISO 8601 with offset. */
  startedAt: string;
  endedAt: string;
  interrupted: boolean;
  metrics: UtteranceMetrics | null;
}

/**
 * Inserts utterances, skipping any whose seq is already stored, and adds the new ones to the
 * conversation's turn_count — one statement (data-modifying CTEs), so it is atomic and costs one
 * round trip. Returns the seqs actually inserted, so the caller can tell new from replayed.
 */
export async function insertUtterances(
  db: Knex,
  conversationId: string,
  userId: string,
  utterances: readonly UtteranceRecord[],
): Promise<number[]> {
  if (utterances.length === 0) return [];
  const insert = db('utterances')
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
      })),
    )
    .onConflict(['conversation_id', 'seq'])
    .ignore()
    .returning(['seq'])
    .toSQL();
  const result = await db.raw(
    `WITH ins AS (${insert.sql}),
          counted AS (UPDATE conversations SET turn_count = turn_count + (SELECT count(*) FROM ins) WHERE id = ?)
     SELECT seq FROM ins`,
    [...insert.bindings, conversationId],
  );
  return (result.rows as Array<{ seq: number }>).map((r) => r.seq);
}

/** The whole transcript of one conversation in seq order. */
export async function listUtterances(db: Knex, conversationId: string): Promise<UtteranceRecord[]> {
  const rows = await db('utterances')
    .where({ conversation_id: conversationId })
    .orderBy('seq', 'asc')
    .select('seq', 'role', 'text', 'language', 'started_at', 'ended_at', 'interrupted', 'metrics');
  return rows.map((r) => ({
    seq: r.seq,
    role: r.role,
    text: r.text,
    language: r.language,
    startedAt: new Date(r.started_at).toISOString(),
    endedAt: new Date(r.ended_at).toISOString(),
    interrupted: r.interrupted,
    metrics: r.metrics ?? null,
  }));
}
