import type { Database } from '../connect';
import { num, rowsOf } from './rows';

export interface UsageRow {
  calls: number;
  durationMs: number;
  turns: number;
  medianTurnLatencyMs: number | null;
  /** Distinct UTC days with a call, newest first (at most 400). */
  activeDays: string[];
}

/** A user's usage figures, computed from their conversations and utterances. */
export class UsageRepository {
  constructor(private readonly db: Database) {}

  /**
   * Call time in milliseconds of the account's calls that started at or after `from`: ended calls
   * by their duration, calls in progress by the time since they started (as of `now`).
   */
  async callTimeSince(userId: string, from: Date, now: Date): Promise<number> {
    const [row] = rowsOf(
      await this.db.raw(
        `SELECT coalesce(sum(CASE WHEN status = 'ended' THEN coalesce(duration_ms, 0)
                  ELSE GREATEST(0, EXTRACT(EPOCH FROM (?::timestamptz - started_at)) * 1000) END), 0) AS ms
         FROM conversations WHERE user_id = ? AND started_at IS NOT NULL AND started_at >= ?`,
        [now.toISOString(), userId, from.toISOString()],
      ),
    );
    return Number(row?.ms ?? 0);
  }

  async figures(userId: string): Promise<UsageRow> {
    const [totals] = rowsOf(
      await this.db.raw(
        `SELECT count(*) FILTER (WHERE started_at IS NOT NULL) AS calls,
                coalesce(sum(duration_ms), 0) AS duration_ms,
                coalesce(sum(turn_count), 0) AS turns
         FROM conversations WHERE user_id = ?`,
        [userId],
      ),
    );
    const [latency] = rowsOf(
      await this.db.raw(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (metrics->>'e2eLatencyMs')::float8) AS median
         FROM utterances WHERE user_id = ? AND jsonb_typeof(metrics->'e2eLatencyMs') = 'number'`,
        [userId],
      ),
    );
    const days = rowsOf(
      await this.db.raw(
        `SELECT DISTINCT to_char(coalesce(started_at, created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day
         FROM conversations WHERE user_id = ? AND started_at IS NOT NULL ORDER BY day DESC LIMIT 400`,
        [userId],
      ),
    );
    return {
      calls: Number(totals?.calls ?? 0),
      durationMs: Number(totals?.duration_ms ?? 0),
      turns: Number(totals?.turns ?? 0),
      medianTurnLatencyMs: num(latency?.median),
      activeDays: days.map((d) => d.day as string),
    };
  }
}
