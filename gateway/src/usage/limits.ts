import type { Repositories } from '@parley/db';
import type { CallMetadata } from '@parley/protocol';
import type { GatewayConfig } from '../config/config';
import { errors } from '../http/errors';

export type CallLimits = NonNullable<CallMetadata['limits']>;

/** The UTC day `now` falls in: [midnight, next midnight). */
export function dayRange(now: Date): { from: Date; to: Date } {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return { from, to: new Date(from.getTime() + 86_400_000) };
}

/**
 * The limits of a call about to start: the maximum call length, shortened to what is left of the
 * account's daily minutes (UTC day; calls that started that day, those in progress counted up to
 * now). An account with no minutes left is refused with 429 quota_exceeded until the next UTC
 * midnight. The account's own settings (users.quota_minutes_per_day, users.max_call_seconds) win
 * over the configured defaults. Guests get the maximum call length (their calls are not stored, so they have no quota).
 * `warnSeconds` (LIMIT_WARNING_SECONDS) tells the agent when to warn the caller before the end.
 */
export async function callLimits(
  repos: Pick<Repositories, 'users' | 'usage'>,
  defaults: GatewayConfig['limits'],
  userId: string | null,
  now = new Date(),
): Promise<CallLimits> {
  const { warnSeconds } = defaults;
  if (!userId) return { maxCallSeconds: defaults.maxCallSeconds, warnSeconds };
  const own = await repos.users.limits(userId);
  const maxCallSeconds = own.maxCallSeconds ?? defaults.maxCallSeconds;
  const quota = own.quotaMinutesPerDay ?? defaults.quotaMinutesPerDay;
  if (quota === null) return { maxCallSeconds, warnSeconds };
  const { from, to } = dayRange(now);
  const usedMs = await repos.usage.callTimeSince(userId, from, now);
  const leftSeconds = Math.floor((quota * 60_000 - usedMs) / 1000);
  if (leftSeconds < 1)
    throw errors.quotaExceeded(
      { limitMinutes: quota, usedMinutes: Math.round(usedMs / 6000) / 10, resetsAt: to.toISOString() },
      (to.getTime() - now.getTime()) / 1000,
    );
  return { maxCallSeconds: Math.min(maxCallSeconds, leftSeconds), warnSeconds };
}
