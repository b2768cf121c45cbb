import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { AppContext } from '../context';
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
