import { RedisStore } from 'connect-redis';
import session from 'express-session';
import type { Logger } from 'pino';
import type { Database } from '@parley/db';
import type { GatewayConfig } from '../config/config';
import type { Redis } from '../infra/redis';
import { KnexSessionStore } from './knex-store';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    /** users.session_epoch at login; an older epoch means the session was revoked. */
    epoch?: number;
    /** When the session was created; sessions end after config.session.absoluteMs regardless of use. */
    createdAt?: number;
    /** When the session last answered a request (updated at most once a minute). */
    lastSeenAt?: number;
    /** "Browser on OS" at sign-in (sessions list). */
    device?: string;
    /** The sign-in IP's coarse form (sessions list). */
    ipPrefix?: string | null;
    /**
     * Password accepted, second factor awaited: not a session (no userId; loadUser ignores it).
     * Ends at `expiresAt`; `epoch` must still match when the code arrives.
     */
    pendingSecondFactor?: { userId: string; epoch: number; expiresAt: number };
    /** Conversations this browser started as a guest (no account). */
    guestConversationIds?: string[];
  }
}

export const SESSION_COOKIE = 'parley.sid';

/**
 * Redis (connect-redis) when configured, else the database's sessions table (connect-session-knex),
 * each with its idle-expiry refresh taken off the answer's path (touchInBackground).
 */
export function createSessionStore(
  config: GatewayConfig,
  db: Database,
  redis: Redis | null,
  logger: Logger,
): session.Store & { close?(): void } {
  if (redis)
    return touchInBackground(
      new RedisStore({ client: redis, prefix: `${config.redis.prefix}sess:`, ttl: config.session.idleMs / 1000 }),
      logger,
    );
  return touchInBackground(new KnexSessionStore(db, logger), logger);
}

/**
 * Rolling sessions are touched on every answer that does not save them (Redis `EXPIRE`, or an
 * `UPDATE` of the sessions table), and express-session holds the answer's last byte back until the
 * store calls back: one more round trip on every signed-in request. Here the store is told at once
 * that the touch is done; the refresh itself is still sent, before the answer is written, and a
 * failure is logged (the session then expires SESSION_IDLE_MINUTES after its previous refresh).
 */
function touchInBackground<S extends session.Store>(store: S, logger: Logger): S {
  const touch = store.touch?.bind(store);
  if (!touch) return store;
  store.touch = (sid, data, callback) => {
    touch(sid, data, (err?: unknown) => {
      if (err) logger.warn({ err }, 'session idle expiry not extended');
    });
    callback?.();
  };
  return store;
}

export function createSessionMiddleware(config: GatewayConfig, store: session.Store) {
  const secure = config.publicUrl?.startsWith('https://') ? true : 'auto';
  return session({
    name: SESSION_COOKIE,
    secret: config.session.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: undefined,
    cookie: { httpOnly: true, sameSite: 'lax', secure: secure as boolean, maxAge: config.session.idleMs, path: '/' },
  });
}
