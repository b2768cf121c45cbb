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
