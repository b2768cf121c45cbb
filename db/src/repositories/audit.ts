import type { Database } from '../connect';

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

  /** Newest first. */
  async list(userId: string, limit = 100): Promise<AuditEvent[]> {
    const rows = await this.db('audit_events')
      .where({ user_id: userId })
      .orderBy('id', 'desc')
      .limit(limit)
      .select('id', 'user_id', 'type', 'ip', 'details', 'created_at');
    return rows.map((r) => ({
      id: String(r.id),
      userId: r.user_id,
      type: r.type,
      ip: r.ip,
      details: r.details,
      createdAt: r.created_at,
    }));
  }

  /**
   * Every account's events for the admin console, newest first. The target is the account acted on,
   * or the actor's own account for its own events. `actor`/`target` match an account id exactly, or
   * an email case-insensitively; `type` exactly; `from` inclusive, `to` exclusive.
   */
  async search(filter: AuditFilter): Promise<{ events: AdminAuditEvent[]; total: number }> {
    const base = () => {
      const q = this.db('audit_events as a')
        .leftJoin('users as actor', 'actor.id', 'a.user_id')
        .leftJoin('users as target', 'target.id', this.db.raw('coalesce(a.target_user_id, a.user_id)'));
      const who = (alias: string, column: string, value: string) => {
        if (UUID.test(value)) q.where(column, value);
        else q.whereRaw(`lower(${alias}.email) = ?`, [value.trim().toLowerCase()]);
      };
      if (filter.actor) who('actor', 'a.user_id', filter.actor);
      if (filter.target) {
        if (UUID.test(filter.target)) q.whereRaw('coalesce(a.target_user_id, a.user_id) = ?', [filter.target]);
        else who('target', 'target.id', filter.target);
      }
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
          this.db.raw('coalesce(a.target_user_id, a.user_id) as target_id'),
          'target.email as target_email',
        ),
      base().count<{ count: string | number }[]>({ count: '*' }).first(),
    ]);
    return {
      events: rows.map((r) => ({
        id: String(r.id),
        type: r.type,
        ip: r.ip,
        details: r.details,
        createdAt: r.created_at,
        actorId: r.actor_id,
        actorEmail: r.actor_email ?? null,
        targetId: r.target_id,
        targetEmail: r.target_email ?? null,
      })),
      total: Number(countRow?.count ?? 0),
    };
  }
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

/** An audit event with both accounts named: emails are null once an account is gone (pseudonymous id only). */
export interface AdminAuditEvent {
  id: string;
  type: AuditType;
  ip: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
  actorId: string | null;
  actorEmail: string | null;
  targetId: string | null;
  targetEmail: string | null;
}
