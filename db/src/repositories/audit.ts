import { createHash } from 'node:crypto';
import type { Database } from '../connect';
import { coarseIp } from '../ip';
import { rowsOf } from './rows';

/**
 * Security-relevant events. `details` holds facts about the event (which fields changed, why a
 * login failed), never passwords, hashes, tokens, session ids or the changed values themselves.
 */
export type AuditType =
  | 'register'
  | 'login'
  | 'login_failed'
  | 'logout'
  | 'password_change'
  | 'profile_change'
  | 'preferences_change'
  | (string & {});

export interface AuditEvent {
  id: string;
  userId: string | null;
  type: AuditType;
  ip: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
}

export interface NewAuditEvent {
  /** The actor (for an account's own events, also the account it concerns). */
  userId: string | null;
  /** The account acted on, when that is not the actor (admin actions); kept after it is deleted. */
  targetUserId?: string | null;
  type: AuditType;
  ip?: string | null | undefined;
  details?: Record<string, unknown>;
}

/**
 * The stable name a deleted account keeps in the audit trail: `deleted-user-` and 12 hex digits of
 * the SHA-256 of its id. The same account always gets the same pseudonym (its events stay linked),
 * and only someone who already knows the account's random id can tell whose it is.
 */
export function auditPseudonym(userId: string): string {
  return `deleted-user-${createHash('sha256').update(`parley-audit:${userId.toLowerCase()}`).digest('hex').slice(0, 12)}`;
}

const PSEUDONYM = /^deleted-user-[0-9a-f]{12}$/;

/** Details that name a person or their things (a passkey's chosen name): dropped when the account is deleted. */
const PERSONAL_DETAILS: string[] = ['name'];

/** The fields every read of an event returns, from its row. */
function eventFields(r: {
  id: string | number;
  type: AuditType;
  ip: string | null;
  details: Record<string, unknown> | null;
  created_at: Date;
}) {
  return { id: String(r.id), type: r.type, ip: r.ip, details: r.details ?? {}, createdAt: r.created_at };
}

export class AuditRepository {
  constructor(private readonly db: Database) {}

  async record(event: NewAuditEvent): Promise<void> {
    await this.db('audit_events').insert({
      user_id: event.userId,
      target_user_id: event.targetUserId ?? null,
      type: event.type,
      ip: event.ip ?? null,
      details: JSON.stringify(event.details ?? {}),
    });
  }

  /**
   * Whether one of the account's `lookBack` most recent events is a sign-in or registration from
   * `device` (new-device notices). One row back instead of the events themselves.
   */
  async signedInFrom(userId: string, device: string, lookBack: number): Promise<boolean> {
    const result = await this.db.raw(
      `SELECT EXISTS (
         SELECT 1 FROM (SELECT type, details FROM audit_events WHERE user_id = ? ORDER BY id DESC LIMIT ?) recent
         WHERE recent.type IN ('login', 'register') AND recent.details->>'device' = ?
       ) AS known`,
      [userId, lookBack, device],
    );
    return rowsOf(result)[0]?.known === true;
  }

  /** Newest first. */
  async list(userId: string, limit = 100): Promise<AuditEvent[]> {
    const rows = await this.db('audit_events')
      .where({ user_id: userId })
      .orderBy('id', 'desc')
      .limit(limit)
      .select('id', 'user_id', 'type', 'ip', 'details', 'created_at');
    return rows.map((r) => ({ ...eventFields(r), userId: r.user_id }));
  }

  /**
   * An account's own security activity for its owner, newest first: what it did itself (not what
   * it did to other accounts as an admin) and what was done to it by someone else (`byAdmin`;
   * the actor's identity is left out). Another account's events never appear.
   */
  async ownActivity(userId: string, limit = 50): Promise<OwnAuditEvent[]> {
    const rows = await this.db('audit_events')
      .where((w) =>
        w
          .where((own) => own.where({ user_id: userId }).whereNull('target_user_id'))
          .orWhere({ target_user_id: userId }),
      )
      .orderBy('id', 'desc')
      .limit(limit)
      .select('id', 'user_id', 'type', 'ip', 'details', 'created_at');
    return rows.map((r) => ({ ...eventFields(r), byOther: r.user_id !== userId }));
  }

  /**
   * Keeps an account's events when it is deleted, without naming it: every event it did or that
   * concerned it names its pseudonym (auditPseudonym) instead of its id, its addresses are made
   * coarse and personal details dropped. Runs in the account's deletion (AccountRepository.delete),
   * before the row goes. Returns how many events the account did.
   */
  async pseudonymise(userId: string): Promise<number> {
    const pseudonym = auditPseudonym(userId);
    // Events about the account: done by an admin or the command line…
    await this.db('audit_events')
      .where({ target_user_id: userId })
      .update({ target_user_id: null, target_pseudonym: pseudonym });
    // …and its own (the target of an own event is its actor).
    await this.db('audit_events')
      .where({ user_id: userId })
      .whereNull('target_user_id')
      .whereNull('target_pseudonym')
      .update({ target_pseudonym: pseudonym });
    const ips: string[] = await this.db('audit_events')
      .where({ user_id: userId })
      .whereNotNull('ip')
      .distinct()
      .pluck('ip');
    for (const ip of ips) {
      const coarse = coarseIp(ip);
      if (coarse !== ip) await this.db('audit_events').where({ user_id: userId, ip }).update({ ip: coarse });
    }
    return this.db('audit_events')
      .where({ user_id: userId })
      .update({
        user_id: null,
        actor_pseudonym: pseudonym,
        details: this.db.raw(`details - ?::text[]`, [PERSONAL_DETAILS]),
      });
  }

  /** Deletes events older than `cutoff` (AUDIT_RETENTION_DAYS), in batches; returns how many. */
  async purgeOlderThan(cutoff: Date, batchSize = 1000): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.db('audit_events')
        .where('created_at', '<', cutoff)
        .orderBy('id')
        .limit(batchSize)
        .pluck('id');
      if (ids.length === 0) return total;
      await this.db('audit_events').whereIn('id', ids).delete();
      total += ids.length;
      if (ids.length < batchSize) return total;
    }
  }

  /**
   * Every account's events for the admin console, newest first. The target is the account acted on,
   * or the actor's own account for its own events. `actor`/`target` match an account id exactly, or
   * an email case-insensitively; `type` exactly; `from` inclusive, `to` exclusive.
   */
  async search(filter: AuditFilter): Promise<{ events: AdminAuditEvent[]; total: number }> {
    // The target: the account acted on, else (own events) the actor; a deleted one by pseudonym only.
    const targetIdSql = 'coalesce(a.target_user_id, CASE WHEN a.target_pseudonym IS NULL THEN a.user_id END)';
    const base = () => {
      const q = this.db('audit_events as a')
        .leftJoin('users as actor', 'actor.id', 'a.user_id')
        .leftJoin('users as target', 'target.id', this.db.raw(targetIdSql));
      /** An account id (live, or the pseudonym it left), a pseudonym, or a live account's email. */
      const who = (alias: string, idSql: string, pseudonymColumn: string, value: string) => {
        const v = value.trim().toLowerCase();
        if (UUID.test(v)) q.where((w) => w.whereRaw(`${idSql} = ?`, [v]).orWhere(pseudonymColumn, auditPseudonym(v)));
        else if (PSEUDONYM.test(v)) q.where(pseudonymColumn, v);
        else q.whereRaw(`lower(${alias}.email) = ?`, [v]);
      };
      if (filter.actor) who('actor', 'a.user_id', 'a.actor_pseudonym', filter.actor);
      if (filter.target) who('target', targetIdSql, 'a.target_pseudonym', filter.target);
      if (filter.type) q.where('a.type', filter.type);
      if (filter.from) q.where('a.created_at', '>=', filter.from);
      if (filter.to) q.where('a.created_at', '<', filter.to);
      return q;
    };
    const [rows, countRow] = await Promise.all([
      base()
        .orderBy('a.id', 'desc')
        .limit(filter.limit)
        .offset(filter.offset)
        .select(
          'a.id',
          'a.type',
          'a.ip',
          'a.details',
          'a.created_at',
          'a.user_id as actor_id',
          'actor.email as actor_email',
          'a.actor_pseudonym',
          this.db.raw(`${targetIdSql} as target_id`),
          'target.email as target_email',
          'a.target_pseudonym',
        ),
      base().count<{ count: string | number }[]>({ count: '*' }).first(),
    ]);
    return {
      events: rows.map((r) => ({
        ...eventFields(r),
        actorId: r.actor_id,
        actorEmail: r.actor_email ?? null,
        actorPseudonym: r.actor_pseudonym ?? null,
        targetId: r.target_id ?? null,
        targetEmail: r.target_email ?? null,
        targetPseudonym: r.target_pseudonym ?? null,
      })),
      total: Number(countRow?.count ?? 0),
    };
  }
}

/** An event of the account's own activity; `byOther`: someone else (an admin, the command line) did it. */
export interface OwnAuditEvent {
  id: string;
  type: AuditType;
  ip: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
  byOther: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AuditFilter {
  actor?: string | undefined;
  target?: string | undefined;
  type?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  offset: number;
}

/**
 * An audit event with both accounts named: by id and email while the account exists, by pseudonym
 * alone once it is deleted (id and email null).
 */
export interface AdminAuditEvent {
  id: string;
  type: AuditType;
  ip: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
  actorId: string | null;
  actorEmail: string | null;
  actorPseudonym: string | null;
  targetId: string | null;
  targetEmail: string | null;
  targetPseudonym: string | null;
}
