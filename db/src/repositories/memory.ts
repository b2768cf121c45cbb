import type { Database } from '../connect';
import { rowsOf } from './rows';

/**
 * The agent's memory of one user: the summaries of their finished conversations, and a ranked
 * full-text search over their own utterances for the agent's recall tool. Every query is scoped
 * by user id first; plain SQL that runs unchanged on Postgres and on embedded PGlite.
 */

export interface StoredSummary {
  conversationId: string;
  title: string | null;
  summary: string;
  /** When the conversation took place. */
  at: Date;
}

export interface RecalledUtterance {
  conversationId: string;
  /** When the conversation took place. */
  at: Date;
  role: 'user' | 'agent';
  text: string;
}

export class MemoryRepository {
  constructor(private readonly db: Database) {}

  /** Stores (or replaces) the summary of a conversation of `userId`'s; false when it is not theirs. */
  async saveSummary(userId: string, conversationId: string, summary: string): Promise<boolean> {
    const owned = await this.db('conversations').where({ id: conversationId, user_id: userId }).first('id');
    if (!owned) return false;
    await this.db('conversation_summaries')
      .insert({ conversation_id: conversationId, user_id: userId, summary })
      .onConflict('conversation_id')
      .merge({ summary, created_at: this.db.fn.now() });
    return true;
  }

  /** The user's summaries, newest conversation first, optionally leaving one conversation out. */
  async summaries(userId: string, opts: { limit: number; exclude?: string | undefined }): Promise<StoredSummary[]> {
    const q = this.db('conversation_summaries as s')
      .join('conversations as c', 'c.id', 's.conversation_id')
      .where('s.user_id', userId)
      .select('s.conversation_id', 'c.title', 's.summary', 'c.created_at')
      .orderBy([
        { column: 'c.created_at', order: 'desc' },
        { column: 's.conversation_id', order: 'desc' },
      ])
      .limit(opts.limit);
    if (opts.exclude) q.whereNot('s.conversation_id', opts.exclude);
    const rows = await q;
    return rows.map((r) => ({
      conversationId: r.conversation_id,
      title: r.title ?? null,
      summary: r.summary,
      at: new Date(r.created_at),
    }));
  }

  /** Deletes one summary of the user's; false when there was none. */
  async forget(userId: string, conversationId: string): Promise<boolean> {
    const gone = await this.db('conversation_summaries')
      .where({ user_id: userId, conversation_id: conversationId })
      .del()
      .returning('conversation_id');
    return gone.length > 0;
  }

  /** Deletes every summary of the user's; returns how many. */
  async forgetAll(userId: string): Promise<number> {
    // Counted through RETURNING: PGlite's driver does not report a row count for DELETE.
    return (await this.db('conversation_summaries').where({ user_id: userId }).del().returning('conversation_id'))
      .length;
  }

  /**
   * The user's own utterances matching `query` (websearch syntax over the 'simple' tsvector, any
   * word matching), best match first (ts_rank, then newest), leaving one conversation out (the
   * call in progress).
   */
  async recall(
    userId: string,
    query: string,
    opts: { limit: number; exclude?: string | undefined },
  ): Promise<RecalledUtterance[]> {
    // Recall questions are full sentences ("what is my dog called"): OR their words so one shared
    // word finds the turn, and let ts_rank order what matched.
    const words = query
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w.length > 2)
      .slice(0, 12);
    if (words.length === 0) return [];
    const tsquery = words.join(' or ');
    const result = await this.db.raw(
      `SELECT u.conversation_id, c.created_at, u.role, u.text
       FROM utterances u JOIN conversations c ON c.id = u.conversation_id
       WHERE u.user_id = ? AND u.conversation_id <> ? AND u.tsv @@ websearch_to_tsquery('simple', ?)
       ORDER BY ts_rank(u.tsv, websearch_to_tsquery('simple', ?)) DESC, c.created_at DESC, u.seq
       LIMIT ?`,
      [userId, opts.exclude ?? '00000000-0000-0000-0000-000000000000', tsquery, tsquery, opts.limit],
    );
    return rowsOf(result).map((r) => ({
      conversationId: r.conversation_id,
      at: new Date(r.created_at),
      role: r.role,
      text: r.text,
    }));
  }
}
