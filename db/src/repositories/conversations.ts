import type { Knex } from 'knex';
import { CONVERSATION_COLUMNS as COLUMNS, toConversationRow as toRow, type ConversationRow } from './conversation-row';

/**
 * Conversation rows as the call path needs them: create at call set-up, find by id or room,
 * mark started and ended. History listing lives in history.ts.
 */
export type { ConversationRow, ConversationStatus } from './conversation-row';

export async function createConversation(
  db: Knex,
  input: { id: string; userId: string; room: string; language: string },
): Promise<ConversationRow> {
  const [row] = await db('conversations')
    .insert({ id: input.id, user_id: input.userId, room: input.room, language: input.language })
    .returning(COLUMNS);
  return toRow(row);
}

export async function findConversation(db: Knex, id: string): Promise<ConversationRow | null> {
  const row = await db('conversations').where({ id }).first(COLUMNS);
  return row ? toRow(row) : null;
}

export async function findConversationByRoom(db: Knex, room: string): Promise<ConversationRow | null> {
  const row = await db('conversations').where({ room }).first(COLUMNS);
  return row ? toRow(row) : null;
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
    .returning(COLUMNS);
  return rows[0] ? toRow(rows[0]) : null;
}
