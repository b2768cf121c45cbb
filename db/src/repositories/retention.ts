import type { Database } from '../connect';
import { affectedRows, rowsOf } from './rows';

/** How long a user's conversations are kept (users.retention_days; null keeps them), and the purge. */
export class RetentionRepository {
  constructor(private readonly db: Database) {}

  /** The user's retention in days, null for "keep forever" (and for an unknown user). */
  async days(userId: string): Promise<number | null> {
    const row = await this.db('users').where({ id: userId }).first('retention_days');
    return row?.retention_days ?? null;
  }

  async setDays(userId: string, days: number | null): Promise<boolean> {
    return (
      (await this.db('users').where({ id: userId }).update({ retention_days: days, updated_at: this.db.fn.now() })) > 0
    );
  }

  /**
   * Deletes conversations older than their owner's retention setting (by end time, else creation
   * time), never one still active. Works in batches so one purge never holds a long lock;
   * `onPurged` hears each batch's conversations (the conversation.deleted webhook event).
   */
  async purgeExpired(
    now: Date,
    batchSize = 500,
    onPurged?: (purged: Array<{ id: string; userId: string }>) => Promise<void>,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.db.raw(
        `DELETE FROM conversations WHERE id IN (
           SELECT c.id FROM conversations c JOIN users u ON u.id = c.user_id
           WHERE u.retention_days IS NOT NULL AND c.status <> 'active'
             AND coalesce(c.ended_at, c.created_at) < ?::timestamptz - make_interval(days => u.retention_days)
           LIMIT ?)
         RETURNING id, user_id`,
        [now.toISOString(), batchSize],
      );
      const rows = rowsOf(result);
      const n = Math.max(rows.length, affectedRows(result));
      if (onPurged && rows.length) await onPurged(rows.map((r) => ({ id: String(r.id), userId: String(r.user_id) })));
      total += n;
      if (n < batchSize) return total;
    }
  }
}
