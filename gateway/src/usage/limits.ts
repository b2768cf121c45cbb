import type { Repositories } from '@parley/db';
import type { CallMetadata } from '@parley/protocol';
import type { GatewayConfig } from '../config/config';
import { errors } from '../http/errors';
import { monthRange } from './usage';

export type CallLimits = NonNullable<CallMetadata['limits']>;

/**
 * The limits of a call about to start: the maximum call length, shortened to what is left of the
 * account's monthly minutes (UTC month, calls in progress counted up to now). An account with no
 * minutes left is refused with 429 quota_exceeded until the month turns. The account's own
 * settings (users.quota_minutes_per_month, users.max_call_seconds) win over the configured
 * defaults. Guests get the maximum call length (their calls are not stored, so they have no quota).
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
  const quota = own.quotaMinutesPerMonth ?? defaults.quotaMinutesPerMonth;
  if (quota === null) return { maxCallSeconds, warnSeconds };
  const { from, to } = monthRange(undefined, now);
  const usedMs = await repos.usage.callTimeSince(userId, from, now);
  const leftSeconds = Math.floor((quota * 60_000 - usedMs) / 1000);
  if (leftSeconds < 1)
    throw errors.quotaExceeded(
      { limitMinutes: quota, usedMinutes: Math.round(usedMs / 6000) / 10, resetsAt: to.toISOString() },
      (to.getTime() - now.getTime()) / 1000,
    );
  return { maxCallSeconds: Math.min(maxCallSeconds, leftSeconds), warnSeconds };
}
