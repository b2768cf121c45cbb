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
  userId: string | null;
  type: AuditType;
  ip?: string | null | undefined;
  details?: Record<string, unknown>;
}

export class AuditRepository {
  constructor(private readonly db: Database) {}

  async record(event: NewAuditEvent): Promise<void> {
    await this.db('audit_events').insert({
      user_id: event.userId,
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
}
