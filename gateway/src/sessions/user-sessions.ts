import { promisify } from 'node:util';
import type session from 'express-session';

/** Most recent sign-ins remembered per account; older ones still end by epoch or expiry. */
const MAX_TRACKED = 50;
const indexId = (userId: string) => `user-sessions:${userId}`;

interface IndexRecord {
  cookie: { originalMaxAge: number; maxAge: number; expires: string };
  sids: string[];
}

/**
 * Which sessions belong to which account, so that all of them can be ended at once (account
 * deletion) in either store: Redis (connect-redis) or the sessions table (connect-session-knex).
 * Neither store can look sessions up by user, so the index is kept in the store itself, as one
 * record per account that expires with the longest-lived session. The session epoch remains what
 * voids sessions on a password change; this index is for removing them outright.
 * A sign-in racing another sign-in of the same account may drop one id from the index; that
 * session still dies on its next request (loadUser finds no user) and expires with the store.
 */
export class UserSessions {
  private readonly get: (sid: string) => Promise<session.SessionData | null | undefined>;
  private readonly set: (sid: string, data: session.SessionData) => Promise<void>;
  private readonly destroy: (sid: string) => Promise<void>;

  constructor(
    store: session.Store,
    private readonly lifetimeMs: number,
  ) {
    this.get = promisify(store.get.bind(store));
    this.set = promisify(store.set.bind(store)) as (sid: string, data: session.SessionData) => Promise<void>;
    this.destroy = promisify(store.destroy.bind(store)) as (sid: string) => Promise<void>;
  }

  private async sids(userId: string): Promise<string[]> {
    const record = (await this.get(indexId(userId))) as unknown as IndexRecord | null | undefined;
    return Array.isArray(record?.sids) ? record.sids : [];
  }

  /** Remembers that `sid` is a session of `userId` (call after the session was saved). */
  async add(userId: string, sid: string): Promise<void> {
    const sids = [...(await this.sids(userId)).filter((s) => s !== sid), sid].slice(-MAX_TRACKED);
    const record: IndexRecord = {
      cookie: {
        originalMaxAge: this.lifetimeMs,
        maxAge: this.lifetimeMs,
        expires: new Date(Date.now() + this.lifetimeMs).toISOString(),
      },
      sids,
    };
    await this.set(indexId(userId), record as unknown as session.SessionData);
  }

  /** The account's sessions still in the store (ids whose session is gone are skipped). */
  async list(userId: string): Promise<{ sid: string; data: session.SessionData }[]> {
    const out: { sid: string; data: session.SessionData }[] = [];
    for (const sid of await this.sids(userId)) {
      const data = await this.get(sid);
      if (data?.userId === userId) out.push({ sid, data });
    }
    return out;
  }

  /** Ends one session of the account; false when `sid` is not one of its sessions. */
  async end(userId: string, sid: string): Promise<boolean> {
    const sids = await this.sids(userId);
    if (!sids.includes(sid)) return false;
    await this.destroy(sid);
    return true;
  }

  /** Removes every session of the account from the store, and the index itself. */
  async endAll(userId: string): Promise<void> {
    for (const sid of await this.sids(userId)) await this.destroy(sid);
    await this.destroy(indexId(userId));
  }
}
