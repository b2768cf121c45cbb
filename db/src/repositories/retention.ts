import type { Database } from '../connect';
import { affectedRows } from './rows';

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
   * time), never one still active. Works in batches so one purge never holds a long lock.
   */
  async purgeExpired(now: Date, batchSize = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const n = affectedRows(
        await this.db.raw(
          `DELETE FROM conversations WHERE id IN (
             SELECT c.id FROM conversations c JOIN users u ON u.id = c.user_id
             WHERE u.retention_days IS NOT NULL AND c.status <> 'active'
               AND coalesce(c.ended_at, c.created_at) < ?::timestamptz - make_interval(days => u.retention_days)
             LIMIT ?)`,
          [now.toISOString(), batchSize],
        ),
      );
      total += n;
      if (n < batchSize) return total;
    }
  }
}
