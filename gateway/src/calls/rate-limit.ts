import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { AppContext } from '../context';
import { errors } from '../http/errors';

/** Call set-up limits: generous for a person, tight enough to stop token farming. */
export const CALLS_PER_PRINCIPAL = 20;
export const CALLS_PER_IP = 120;
export const CALLS_WINDOW_MS = 10 * 60_000;

function principal(req: Request): string {
  if (req.user) return `u:${req.user.id}`;
  if (req.session?.guestConversationIds?.length) return `s:${req.sessionID}`;
  return `ip:${ipKeyGenerator(req.ip ?? '')}`;
}

/**
 * Two windows, per account/guest session and per IP, counted in Redis when configured (so every
 * gateway shares them) and failing open when Redis is briefly unavailable.
 */
export function callRateLimits(ctx: AppContext): RequestHandler[] {
  const store = (name: string) =>
    ctx.redis
      ? new RedisStore({
          prefix: `${ctx.config.redis.prefix}rl:${name}:`,
          sendCommand: (...args: string[]) => ctx.redis!.sendCommand(args) as Promise<RedisReply>,
        })
      : undefined;
  const make = (name: string, limit: number, key: (req: Request) => string) =>
    rateLimit({
      windowMs: CALLS_WINDOW_MS,
      limit,
      keyGenerator: key,
      store: store(name),
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      passOnStoreError: true,
      handler: (req, _res, next) => {
        const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
        const reset = info?.resetTime?.getTime() ?? Date.now() + CALLS_WINDOW_MS;
        req.log?.warn({ limiter: name }, 'rate limit reached');
        next(errors.rateLimited(Math.max(1, Math.ceil((reset - Date.now()) / 1000))));
      },
    });
  return [
    make('calls-ip', CALLS_PER_IP, (req) => ipKeyGenerator(req.ip ?? '')),
    make('calls', CALLS_PER_PRINCIPAL, principal),
  ];
}
