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

export async function recordAudit(
  db: Database,
  event: { userId: string | null; type: AuditType; ip?: string | null | undefined; details?: Record<string, unknown> },
): Promise<void> {
  await db('audit_events').insert({
    user_id: event.userId,
    type: event.type,
    ip: event.ip ?? null,
    details: JSON.stringify(event.details ?? {}),
  });
}

/** Newest first. */
export async function listAuditEvents(db: Database, userId: string, limit = 100): Promise<AuditEvent[]> {
  const rows = await db('audit_events')
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
