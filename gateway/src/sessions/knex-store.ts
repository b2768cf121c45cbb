import session from 'express-session';
import type { Database } from '@parley/db';

/**
 * express-session store on the `sessions` table: the single-process fallback used when REDIS_URL
 * is unset (embedded database on a laptop). Sessions survive a gateway restart.
 */
export class KnexSessionStore extends session.Store {
  constructor(
    private db: Database,
    private defaultTtlMs: number,
  ) {
    super();
  }

  private expiry(sess: session.SessionData): Date {
    const maxAge = sess.cookie?.maxAge;
    return new Date(Date.now() + (typeof maxAge === 'number' ? maxAge : this.defaultTtlMs));
  }

  override get(sid: string, cb: (err: unknown, sess?: session.SessionData | null) => void) {
    this.db('sessions')
      .where({ sid })
      .andWhere('expires_at', '>', new Date())
      .first('sess')
      .then((row: { sess: session.SessionData } | undefined) => cb(null, row?.sess ?? null), cb);
  }

  override set(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void) {
    this.db('sessions')
      .insert({ sid, sess: JSON.stringify(sess), expires_at: this.expiry(sess) })
      .onConflict('sid')
      .merge()
      .then(
        () => cb?.(),
        (e: unknown) => cb?.(e),
      );
  }

  override touch(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void) {
    this.db('sessions')
      .where({ sid })
      .update({ expires_at: this.expiry(sess) })
      .then(
        () => cb?.(),
        (e: unknown) => cb?.(e),
      );
  }

  override destroy(sid: string, cb?: (err?: unknown) => void) {
    this.db('sessions')
      .where({ sid })
      .delete()
      .then(
        () => cb?.(),
        (e: unknown) => cb?.(e),
      );
  }

  async purgeExpired(): Promise<number> {
    return this.db('sessions').where('expires_at', '<=', new Date()).delete();
  }
}
