import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { rateLimit, type RateLimitInfo, type Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { normalizeEmail } from '@parley/db';
import type { AppContext } from '../context';
import { errors } from '../http/errors';

export interface RateLimiters {
  /** Login attempts per client IP (every attempt counts). */
  loginPerIp: RequestHandler;
  /** Failed logins per account (normalized email; successful logins do not count). */
  loginPerAccount: RequestHandler;
  /** Registrations per client IP. */
  registerPerIp: RequestHandler;
  /** Wrong current-password answers per signed-in user (password change, email change). */
  passwordCheckPerUser: RequestHandler;
}

/** Account keys are hashed: Redis never holds an email address. */
const hashKey = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 32);

function storeFor(ctx: AppContext, name: string): Store | undefined {
  if (!ctx.redis) return undefined; // express-rate-limit's MemoryStore: correct for one process
  const redis = ctx.redis;
  return new RedisStore({
    prefix: `${ctx.config.redis.prefix}rl:${name}:`,
    sendCommand: (...args: string[]) => redis.sendCommand(args) as Promise<RedisReply>,
  });
}

const cache = new WeakMap<AppContext, RateLimiters>();

/**
 * One set of limiters per app (each with its own store). Redis-backed when REDIS_URL is set, so
 * every gateway process shares the counters; in memory otherwise. Over the limit: 429
 * `rate_limited` with Retry-After, in the one JSON error shape.
 */
export function rateLimiters(ctx: AppContext): RateLimiters {
  const existing = cache.get(ctx);
  if (existing) return existing;
  const { windowMs, loginPerIp, loginPerAccount } = ctx.config.rateLimit;

  const make = (
    name: string,
    limit: number,
    extra: {
      keyGenerator?: (req: Request) => string;
      skip?: (req: Request) => boolean;
      skipSuccessfulRequests?: boolean;
    } = {},
  ) => {
    const store = storeFor(ctx, name);
    return rateLimit({
      windowMs,
      limit,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      ...(store ? { store } : {}),
      ...extra,
      // A store failure (Redis down) refuses the attempt rather than letting guesses through.
      passOnStoreError: false,
      handler: (req, _res, next) => {
        const reset = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime?.getTime();
        const seconds = Math.max(1, Math.ceil(((reset ?? Date.now() + windowMs) - Date.now()) / 1000));
        req.log?.warn({ limiter: name }, 'rate limit reached');
        next(errors.rateLimited(seconds));
      },
    });
  };

  const emailOf = (req: Request) => (typeof req.body?.email === 'string' ? normalizeEmail(req.body.email) : undefined);
  const limiters: RateLimiters = {
    loginPerIp: make('login-ip', loginPerIp),
    loginPerAccount: make('login-account', loginPerAccount, {
      keyGenerator: (req) => `acct:${hashKey(emailOf(req) ?? '')}`,
      skip: (req) => emailOf(req) === undefined,
      skipSuccessfulRequests: true,
    }),
    // No separate setting: registrations share the per-IP login budget's size.
    registerPerIp: make('register-ip', loginPerIp),
    passwordCheckPerUser: make('password-check', loginPerAccount, {
      keyGenerator: (req) => `user:${req.user?.id ?? 'anonymous'}`,
      skipSuccessfulRequests: true,
    }),
  };
  cache.set(ctx, limiters);
  return limiters;
}
