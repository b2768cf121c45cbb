import type { Knex } from 'knex';

/**
 * Conversation rows as the call path needs them: create at call set-up, find by id or room,
 * mark started and ended. History listing lives in history.ts.
 */
export type ConversationStatus = 'created' | 'active' | 'ended';

export interface ConversationRow {
  id: string;
  userId: string;
  room: string;
  language: string;
  status: ConversationStatus;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  durationMs: number | null;
  endReason: string | null;
  turnCount: number;
}

const COLUMNS = [
  'id',
  'user_id',
  'room',
  'language',
  'status',
  'created_at',
  'started_at',
  'ended_at',
  'duration_ms',
  'end_reason',
  'turn_count',
] as const;

type RawRow = {
  id: string;
  user_id: string;
  room: string;
  language: string;
  status: ConversationStatus;
  created_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
  duration_ms: number | null;
  end_reason: string | null;
  turn_count: number;
};

function toRow(r: RawRow): ConversationRow {
  return {
    id: r.id,
    userId: r.user_id,
    room: r.room,
    language: r.language,
    status: r.status,
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms,
    endReason: r.end_reason,
    turnCount: r.turn_count,
  };
}

export async function createConversation(
  db: Knex,
  input: { id: string; userId: string; room: string; language: string },
): Promise<ConversationRow> {
  const [row] = await db('conversations')
    .insert({ id: input.id, user_id: input.userId, room: input.room, language: input.language })
    .returning(COLUMNS as unknown as string[]);
  return toRow(row as RawRow);
}

export async function findConversation(db: Knex, id: string): Promise<ConversationRow | null> {
  const row = await db('conversations').where({ id }).first(COLUMNS as unknown as string[]);
  return row ? toRow(row as RawRow) : null;
}

export async function findConversationByRoom(db: Knex, room: string): Promise<ConversationRow | null> {
  const row = await db('conversations').where({ room }).first(COLUMNS as unknown as string[]);
  return row ? toRow(row as RawRow) : null;
}

/** created → active with its start time. Returns false when the call had already started or ended. */
export async function markConversationStarted(db: Knex, id: string, at: Date): Promise<boolean> {
  const n = await db('conversations').where({ id, status: 'created' }).update({ status: 'active', started_at: at });
  return n > 0;
}

/**
 * Ends a conversation once: the first end (agent report or LiveKit webhook) wins and later ones
 * change nothing. Duration runs from the start (or, for a call that never started, the creation)
 * to the end. Returns the ended row, or null when it was already ended or does not exist.
 */
export async function markConversationEnded(
  db: Knex,
  id: string,
  at: Date,
  reason: string,
): Promise<ConversationRow | null> {
  const rows = await db('conversations')
    .where({ id })
    .whereNot({ status: 'ended' })
    .update({
      status: 'ended',
      ended_at: at,
      end_reason: reason,
      duration_ms: db.raw(
        `GREATEST(0, ROUND(EXTRACT(EPOCH FROM (?::timestamptz - COALESCE(started_at, created_at))) * 1000))::int`,
        [at.toISOString()],
      ),
    })
    .returning(COLUMNS as unknown as string[]);
  return rows[0] ? toRow(rows[0] as RawRow) : null;
}
