import { ConnectSessionKnexStore } from 'connect-session-knex';
import type { SessionData } from 'express-session';
import type { Logger } from 'pino';
import type { Database } from '@parley/db';

/** How often the store deletes expired rows. */
const CLEANUP_INTERVAL_MS = 10 * 60_000;

/**
 * connect-session-knex on the `sessions` table (db migration 004 gives it the library's columns):
 * the single-process fallback used when REDIS_URL is unset; sessions survive a gateway restart and
 * the store deletes expired rows itself. Works on Postgres and on embedded PGlite (knex-pglite).
 * Two guards around the library: its methods report an error to the callback AND reject a promise
 * express-session never awaits (an unhandled rejection ends the process), and touch() never calls
 * back on failure (the response would hang); both are settled here.
 */
export class KnexSessionStore extends ConnectSessionKnexStore {
  constructor(db: Database, logger: Logger) {
    super({
      knex: db,
      tableName: 'sessions',
      createTable: false,
      cleanupInterval: CLEANUP_INTERVAL_MS,
      onDbCleanupError: (err) =>
        logger.warn({ event: 'session_cleanup', errName: (err as Error)?.name }, 'expired session cleanup failed'),
    });
    // Each method awaits `ready` and reports its failure through its own callback.
    this.ready.catch(() => {});
  }

  override get(sid: string, cb: (err: unknown, session?: SessionData | null) => void) {
    return super.get(sid, cb).catch(() => null);
  }

  override set(sid: string, session: SessionData, cb?: (err?: unknown) => void) {
    return super.set(sid, session, cb).catch(() => {});
  }

  override destroy(sid: string, cb?: (err?: unknown) => void) {
    return super.destroy(sid, cb).catch(() => 0);
  }

  override touch(sid: string, session: SessionData, cb?: (err?: unknown) => void) {
    let called = false;
    const once = (err?: unknown) => {
      if (called) return;
      called = true;
      cb?.(err);
    };
    return super.touch(sid, session, () => once()).catch((err: unknown) => once(err));
  }

  /** Stops the cleanup timer (gateway shutdown); a cleanup already running is not rescheduled. */
  close(): void {
    this.options.cleanupInterval = 0;
    clearTimeout(this.nextDbCleanup);
  }
}
