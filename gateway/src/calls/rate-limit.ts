import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { limiter } from '../security/rate-limit';

/** Call set-up limits: generous for a person, tight enough to stop token farming. */
export const CALLS_PER_PRINCIPAL = 20;
export const CALLS_PER_IP = 120;
export const CALLS_WINDOW_MS = 10 * 60_000;

function principal(req: Request): string {
  if (req.user) return `u:${req.user.id}`;
  if (req.session?.guestConversationIds?.length) return `s:${req.sessionID}`;
  return `ip:${ipKeyGenerator(req.ip ?? '')}`;
}

/** Two windows, per IP and per account/guest session (the shared limiter policy: security/rate-limit.ts). */
export function callRateLimits(ctx: AppContext): RequestHandler[] {
  return [
    limiter(ctx, { name: 'calls-ip', windowMs: CALLS_WINDOW_MS, limit: CALLS_PER_IP }),
    limiter(ctx, { name: 'calls', windowMs: CALLS_WINDOW_MS, limit: CALLS_PER_PRINCIPAL, keyGenerator: principal }),
  ];
}

const DAY_MS = 86_400_000;

/**
 * The guest cap (issue 22): guest calls started per client IP (IPv6 by /56) in a day, counted
 * only when a call was set up (refused ones do not count), GUEST_CALLS_PER_IP_PER_DAY. Over it:
 * 429 guest_limit_reached with Retry-After. Signed-in callers are not counted (their quota is
 * their minutes). With guest calls at most MAX_CALL_SECONDS long, it bounds a network's guest
 * minutes a day.
 */
export function guestCallCap(ctx: AppContext): RequestHandler {
  const limit = ctx.config.limits.guestCallsPerIpPerDay;
  return limiter(ctx, {
    name: 'guest-calls-ip',
    windowMs: DAY_MS,
    limit,
    skip: (req) => Boolean(req.user),
    skipFailedRequests: true,
    refusal: (seconds) => errors.guestLimitReached(limit, seconds),
  });
}
