import type { Database } from '../connect';
import { prepared, rowsOf } from './rows';

/**
 * Conversations (one row per account holder's call): created at call set-up, found by id or room,
 * started and ended once, titled once, deleted by their owner, listed as metadata for admins.
 * Their transcripts are in utterances.ts; search and the history listing in history.ts.
 */
export type ConversationStatus = 'created' | 'active' | 'ended';

export interface ConversationRow {
  id: string;
  userId: string;
  title: string | null;
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

export const CONVERSATION_COLUMNS = [
  'id',
  'user_id',
  'title',
  'room',
  'language',
  'status',
  'created_at',
  'started_at',
  'ended_at',
  'duration_ms',
  'end_reason',
  'turn_count',
];

/** The detail page's ownership check (a named statement: same plan for every id). */
const FIND_OWNED_SQL = `SELECT ${CONVERSATION_COLUMNS.join(', ')} FROM conversations WHERE id = ? AND user_id = ?`;

const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date));

/** The one mapping of a `conversations` row; works for pg and PGlite rows alike (either may hand back strings). */
export function toConversationRow(r: Record<string, any>): ConversationRow {
  return {
    id: r.id,
    userId: r.user_id,
    title: r.title ?? null,
    room: r.room,
    language: r.language,
    status: r.status,
    createdAt: new Date(r.created_at),
    startedAt: date(r.started_at),
    endedAt: date(r.ended_at),
    durationMs: r.duration_ms === null || r.duration_ms === undefined ? null : Number(r.duration_ms),
    endReason: r.end_reason ?? null,
    turnCount: Number(r.turn_count),
  };
}

export class ConversationsRepository {
  constructor(private readonly db: Database) {}

  async create(input: { id: string; userId: string; room: string; language: string }): Promise<ConversationRow> {
    const [row] = await this.db('conversations')
      .insert({ id: input.id, user_id: input.userId, room: input.room, language: input.language })
      .returning(CONVERSATION_COLUMNS);
    return toConversationRow(row);
  }

  async find(id: string): Promise<ConversationRow | null> {
    const row = await this.db('conversations').where({ id }).first(CONVERSATION_COLUMNS);
    return row ? toConversationRow(row) : null;
  }

  async findByRoom(room: string): Promise<ConversationRow | null> {
    const row = await this.db('conversations').where({ room }).first(CONVERSATION_COLUMNS);
    return row ? toConversationRow(row) : null;
  }

  /** One of the user's conversations, or null when it does not exist or belongs to someone else. */
  async findOwned(userId: string, id: string): Promise<ConversationRow | null> {
    const [row] = rowsOf(await prepared(this.db, 'conversations_find_owned', FIND_OWNED_SQL, [id, userId]));
    return row ? toConversationRow(row) : null;
  }

  /** created → active with its start time. Returns false when the call had already started or ended. */
  async markStarted(id: string, at: Date): Promise<boolean> {
    const n = await this.db('conversations')
      .where({ id, status: 'created' })
      .update({ status: 'active', started_at: at });
    return n > 0;
  }

  /**
   * Ends a conversation once: the first end (agent report or LiveKit webhook) wins and later ones
   * change nothing. Duration runs from the start (or, for a call that never started, the creation)
   * to the end. Returns the ended row, or null when it was already ended or does not exist.
   */
  async markEnded(id: string, at: Date, reason: string): Promise<ConversationRow | null> {
    const rows = await this.db('conversations')
      .where({ id })
      .whereNot({ status: 'ended' })
      .update({
        status: 'ended',
        ended_at: at,
        end_reason: reason,
        duration_ms: this.db.raw(
          `GREATEST(0, ROUND(EXTRACT(EPOCH FROM (?::timestamptz - COALESCE(started_at, created_at))) * 1000))::int`,
          [at.toISOString()],
        ),
      })
      .returning(CONVERSATION_COLUMNS);
    return rows[0] ? toConversationRow(rows[0]) : null;
  }

  /** How many account holders' calls are in progress (for the live-calls gauge). */
  async countActive(): Promise<number> {
    const row = await this.db('conversations').where({ status: 'active' }).count<{ n: string | number }[]>({ n: '*' });
    return Number(row[0]?.n ?? 0);
  }

  /** Calls in progress, longest-running first (at most `limit`): the gateway's check for calls nobody is in. */
  async listActive(limit: number): Promise<ConversationRow[]> {
    const rows = await this.db('conversations')
      .where({ status: 'active' })
      .orderBy([
        { column: 'started_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(limit)
      .select(CONVERSATION_COLUMNS);
    return rows.map(toConversationRow);
  }

  /** The stored title, null when untitled or missing. */
  async title(id: string): Promise<string | null> {
    const row = await this.db('conversations').where({ id }).first('title');
    return row?.title ?? null;
  }

  /** Sets a generated title unless the conversation already has one. */
  async setTitleIfEmpty(id: string, title: string): Promise<boolean> {
    return (await this.db('conversations').where({ id }).whereNull('title').update({ title })) > 0;
  }

  /** Deletes one of the user's conversations (utterances cascade). False when not found or foreign. */
  async deleteOwned(userId: string, id: string): Promise<boolean> {
    return (await this.db('conversations').where({ id, user_id: userId }).delete()) > 0;
  }

  /**
   * Every conversation (or one user's), newest first, for the admin listing, each with its owner's
   * email (callers pick the metadata they show).
   */
  async listAll(query: {
    userId?: string | undefined;
    limit: number;
    offset: number;
  }): Promise<{ rows: Array<ConversationRow & { userEmail: string }>; total: number }> {
    const base = () =>
      query.userId ? this.db('conversations').where({ user_id: query.userId }) : this.db('conversations');
    const [rows, count] = await Promise.all([
      base()
        .join('users', 'users.id', 'conversations.user_id')
        .select(...CONVERSATION_COLUMNS.map((c) => `conversations.${c}`), 'users.email as user_email')
        .orderBy([
          { column: 'conversations.created_at', order: 'desc' },
          { column: 'conversations.id', order: 'desc' },
        ])
        .limit(query.limit)
        .offset(query.offset),
      base().count<{ count: string | number }[]>({ count: '*' }).first(),
    ]);
    return {
      rows: rows.map((r) => ({ ...toConversationRow(r), userEmail: String(r.user_email) })),
      total: Number(count?.count ?? 0),
    };
  }
}
