import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, type RateLimitInfo, type Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { normalizeEmail } from '@parley/db';
import type { AppContext } from '../context';
import { errors } from '../http/errors';

export interface LimiterOptions {
  /** Names the Redis keys (`<REDIS_PREFIX>rl:<name>:…`) and the log line. */
  name: string;
  windowMs: number;
  limit: number;
  /** Default: the client IP (IPv6 grouped by /56, express-rate-limit's ipKeyGenerator). */
  keyGenerator?: (req: Request) => string;
  skip?: (req: Request) => boolean;
  /** Count only failed attempts (answers ≥ 400). */
  skipSuccessfulRequests?: boolean;
  /** Count only successful requests (answers < 400). */
  skipFailedRequests?: boolean;
  /** The refusal over the limit (default: 429 rate_limited), given the seconds until the window resets. */
  refusal?: (retryAfterSeconds: number) => Error;
}

/**
 * The one rate-limit factory (login, registration, password checks, call set-up). Policy, the same
 * for every limiter:
 * - counters in Redis when REDIS_URL is set (every gateway process shares them), in memory otherwise;
 * - `RateLimit-Policy` / `RateLimit` headers of the IETF draft 8, no legacy `X-RateLimit-*`;
 * - over the limit: 429 `rate_limited` with `Retry-After`, in the one JSON error shape;
 * - a store failure (Redis down) refuses the request (503 `service_unavailable`, the error
 *   handler's answer for an unreachable dependency) instead of letting unlimited attempts
 *   through: a limit that cannot be counted is not enforced by giving it up, and sessions live
 *   in the same Redis, so cookie routes answer 503 at that moment anyway.
 */
export function limiter(ctx: AppContext, o: LimiterOptions): RequestHandler {
  const redis = ctx.redis;
  const store: Store | undefined = redis
    ? new RedisStore({
        prefix: `${ctx.config.redis.prefix}rl:${o.name}:`,
        sendCommand: (...args: string[]) => redis.sendCommand(args) as Promise<RedisReply>,
      })
    : undefined; // express-rate-limit's MemoryStore: correct for one process
  return rateLimit({
    windowMs: o.windowMs,
    limit: o.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...(store ? { store } : {}),
    ...(o.keyGenerator ? { keyGenerator: o.keyGenerator } : {}),
    ...(o.skip ? { skip: o.skip } : {}),
    skipSuccessfulRequests: o.skipSuccessfulRequests ?? false,
    skipFailedRequests: o.skipFailedRequests ?? false,
    passOnStoreError: false,
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime?.getTime();
      const seconds = Math.max(1, Math.ceil(((reset ?? Date.now() + o.windowMs) - Date.now()) / 1000));
      req.log?.warn({ limiter: o.name }, 'rate limit reached');
      next(o.refusal ? o.refusal(seconds) : errors.rateLimited(seconds));
    },
  });
}

export interface RateLimiters {
  /** Login attempts per client IP (every attempt counts). */
  loginPerIp: RequestHandler;
  /** Failed logins per account (normalized email; successful logins do not count). */
  loginPerAccount: RequestHandler;
  /** Registrations per client IP. */
  registerPerIp: RequestHandler;
  /** Wrong current-password answers per signed-in user (email change, password change, account deletion). */
  passwordCheckPerUser: RequestHandler;
  /**
   * Wrong second-factor codes per account (sign-in second step, password reset with two-factor,
   * two-factor settings). The account is the pending sign-in's, the signed-in user's, or
   * `req.secondFactorUserId` set by a route that learns it from a token (password reset).
   */
  secondFactorPerAccount: RequestHandler;
  /** Account mail asked for per client IP (password reset requests). */
  mailPerIp: RequestHandler;
  /** Account mail asked for per account (reset requests by normalized email, verification resends by user). */
  mailPerAccount: RequestHandler;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The account whose second factor a route is checking (see secondFactorPerAccount). */
    secondFactorUserId?: string;
  }
}

/** Runs a middleware (a limiter) from inside a handler, once the key it needs is known. */
export function applyMiddleware(mw: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    void mw(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
  });
}

/** Account keys are hashed: Redis never holds an email address. */
const hashKey = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 32);

const cache = new WeakMap<AppContext, RateLimiters>();

/** The account limiters, one set per app (each with its own store), sharing RATE_LIMIT_WINDOW_SECONDS. */
export function rateLimiters(ctx: AppContext): RateLimiters {
  const existing = cache.get(ctx);
  if (existing) return existing;
  const { windowMs, loginPerIp, loginPerAccount } = ctx.config.rateLimit;
  const emailOf = (req: Request) => (typeof req.body?.email === 'string' ? normalizeEmail(req.body.email) : undefined);
  const limiters: RateLimiters = {
    loginPerIp: limiter(ctx, { name: 'login-ip', windowMs, limit: loginPerIp }),
    loginPerAccount: limiter(ctx, {
      name: 'login-account',
      windowMs,
      limit: loginPerAccount,
      keyGenerator: (req) => `acct:${hashKey(emailOf(req) ?? '')}`,
      skip: (req) => emailOf(req) === undefined,
      skipSuccessfulRequests: true,
    }),
    // No separate setting: registrations share the per-IP login budget's size.
    registerPerIp: limiter(ctx, { name: 'register-ip', windowMs, limit: loginPerIp }),
    passwordCheckPerUser: limiter(ctx, {
      name: 'password-check',
      windowMs,
      limit: loginPerAccount,
      keyGenerator: (req) => `user:${req.user?.id ?? 'anonymous'}`,
      skipSuccessfulRequests: true,
    }),
    secondFactorPerAccount: limiter(ctx, {
      name: 'second-factor',
      windowMs,
      limit: loginPerAccount,
      keyGenerator: (req) =>
        `user:${req.secondFactorUserId ?? req.session?.pendingSecondFactor?.userId ?? req.user?.id ?? 'anonymous'}`,
      skipSuccessfulRequests: true,
    }),
    mailPerIp: limiter(ctx, { name: 'mail-ip', windowMs, limit: loginPerIp }),
    mailPerAccount: limiter(ctx, {
      name: 'mail-account',
      windowMs,
      limit: loginPerAccount,
      keyGenerator: (req) => (req.user ? `user:${req.user.id}` : `acct:${hashKey(emailOf(req) ?? '')}`),
    }),
  };
  cache.set(ctx, limiters);
  return limiters;
}
