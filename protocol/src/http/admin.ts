import { z } from 'zod';
import { IdParams, IsoDateTime } from './common';
import { UsageCostQuery, UsageFigures, UsageMonth } from './account';
import { ConversationStatus, StoredUtterance } from './conversations';
import { defineRoute } from './route';

export const AdminPage = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export const AdminConversationsQuery = AdminPage.extend({ userId: z.string().uuid().optional() });
/** `q`: part of an email or display name, any case. */
export const AdminUsersQuery = AdminPage.extend({ q: z.string().trim().max(200).optional() });

export const AdminUser = z.object({
  id: z.string().uuid(),
  email: z.string(),
  displayName: z.string(),
  role: z.enum(['user', 'admin']),
  createdAt: IsoDateTime,
  /** Set while the account is disabled. */
  disabledAt: IsoDateTime.nullable(),
  /** The account's own limits; null: the configured default. */
  quotaMinutesPerDay: z.number().nullable(),
  maxCallSeconds: z.number().int().nullable(),
});
export type AdminUser = z.infer<typeof AdminUser>;

/** Same bounds as the admin command (`limits`); null puts the configured default back. */
export const QuotaMinutes = z.number().min(0).max(1_000_000);
export const MaxCallSeconds = z.number().int().min(1).max(86_400);
/** At least one field: the role, or either limit. */
export const AdminUserChange = z
  .strictObject({
    role: z.enum(['user', 'admin']).optional(),
    quotaMinutesPerDay: QuotaMinutes.nullable().optional(),
    maxCallSeconds: MaxCallSeconds.nullable().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'Change at least one field.' });
export type AdminUserChange = z.input<typeof AdminUserChange>;

/**
 * Audit filters. `actor`/`target`: an account id (a deleted account's too), a deleted account's
 * pseudonym (`deleted-user-…`), or an existing account's email (any case); `target` is the account
 * acted on (an account's own events: itself). `from` inclusive, `to` exclusive.
 */
export const AdminAuditQuery = AdminPage.extend({
  actor: z.string().trim().min(1).max(320).optional(),
  target: z.string().trim().min(1).max(320).optional(),
  type: z
    .string()
    .regex(/^[a-z0-9_+]{1,64}$/, 'an event type such as login_failed')
    .optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
/**
 * One audit event. An account is named by id and email while it exists; once deleted, by its
 * pseudonym alone (`deleted-user-` and 12 hex digits, the same for all its events; id and email
 * null). No account at all: the admin command (`details.via: cli`) or an unknown sign-in. The IP is
 * coarse (IPv4 /24, IPv6 /48); details hold facts (which fields, why), never secrets or text.
 */
export const AdminAuditEvent = z.object({
  id: z.string(),
  type: z.string(),
  at: IsoDateTime,
  actorId: z.string().uuid().nullable(),
  actorEmail: z.string().nullable(),
  actorPseudonym: z.string().nullable(),
  targetId: z.string().uuid().nullable(),
  targetEmail: z.string().nullable(),
  targetPseudonym: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AdminAuditEvent = z.infer<typeof AdminAuditEvent>;
/** Metadata only: no title, no transcript; the owner by id and email. */
export const AdminConversation = z.object({
  id: z.string().uuid(),
  userId: z.string().uuid(),
  userEmail: z.string(),
  status: ConversationStatus,
  language: z.string(),
  createdAt: IsoDateTime,
  startedAt: IsoDateTime.nullable(),
  endedAt: IsoDateTime.nullable(),
  durationMs: z.number().nullable(),
  turnCount: z.number(),
  endReason: z.string().nullable(),
});
export type AdminConversation = z.infer<typeof AdminConversation>;

/** One account's usage and estimated cost in a month (admins only). */
export const AdminUsage = z.object({
  month: UsageMonth,
  currency: z.literal('USD'),
  users: z.array(
    UsageFigures.extend({
      userId: z.string().uuid(),
      email: z.string(),
      calls: z.number().int(),
      minutes: z.number(),
    }),
  ),
});
export type AdminUsage = z.infer<typeof AdminUsage>;

/**
 * Break-glass: why an admin must read a conversation's transcript (a support request, an abuse
 * report…). Required; kept in the audit event, which the account holder also sees as an event.
 */
export const BreakGlassBody = z.strictObject({
  reason: z.string().trim().min(10, 'State why you need to read this transcript (at least 10 characters).').max(500),
});
export type BreakGlassBody = z.input<typeof BreakGlassBody>;
export const BreakGlassTranscript = z.object({
  conversation: AdminConversation,
  utterances: z.array(StoredUtterance),
});
export type BreakGlassTranscript = z.infer<typeof BreakGlassTranscript>;

export const adminRoutes = {
  users: defineRoute({
    method: 'get',
    path: '/api/admin/users',
    summary: 'All accounts, newest first (admins only; 404 for everyone else).',
    auth: 'admin',
    query: AdminUsersQuery,
    response: z.object({ users: z.array(AdminUser), total: z.number().int() }),
  }),
  conversations: defineRoute({
    method: 'get',
    path: '/api/admin/conversations',
    summary:
      'All conversations as metadata only, newest first (admins only; 404 for everyone else). No titles or transcripts.',
    auth: 'admin',
    query: AdminConversationsQuery,
    response: z.object({ conversations: z.array(AdminConversation), total: z.number().int() }),
  }),
  breakGlassTranscript: defineRoute({
    method: 'post',
    path: '/api/admin/conversations/:id/transcript',
    summary:
      "Break-glass: one conversation's transcript, for an admin who states a reason. Audited first as admin_transcript_read (the admin, the account, the conversation id and the reason; never the text), which the account holder sees in their security activity (admins only; 404 for everyone else).",
    auth: 'admin',
    params: IdParams,
    body: BreakGlassBody,
    response: BreakGlassTranscript,
    errors: { 400: 'validation_failed (no reason, or under 10 characters)', 404: 'not_found (no such conversation)' },
  }),
  usage: defineRoute({
    method: 'get',
    path: '/api/admin/usage',
    summary:
      "Every account's usage and estimated cost for one UTC month (default: this one), costliest first, at most 200 (admins only; 404 for everyone else).",
    auth: 'admin',
    query: UsageCostQuery,
    response: AdminUsage,
  }),

  changeUser: defineRoute({
    method: 'patch',
    path: '/api/admin/users/:id',
    summary:
      "Change an account's role or its own limits (null: the configured default); audited as admin_role_change / admin_limits_change (admins only; 404 for everyone else).",
    auth: 'admin',
    params: IdParams,
    body: AdminUserChange,
    response: z.object({ user: AdminUser }),
    errors: { 400: 'own_account (an admin cannot take away their own admin role)', 404: 'not_found (no such account)' },
  }),
  disableUser: defineRoute({
    method: 'post',
    path: '/api/admin/users/:id/disable',
    summary:
      'Disable an account: every session and sign-in ends, API tokens stop working, sign-in answers 403 account_disabled until enabled; audited (admins only; 404 for everyone else).',
    auth: 'admin',
    params: IdParams,
    response: z.object({ user: AdminUser }),
    errors: { 400: 'own_account (an admin cannot disable themselves)', 404: 'not_found (no such account)' },
  }),
  enableUser: defineRoute({
    method: 'post',
    path: '/api/admin/users/:id/enable',
    summary: 'Enable a disabled account again; audited (admins only; 404 for everyone else).',
    auth: 'admin',
    params: IdParams,
    response: z.object({ user: AdminUser }),
    errors: { 404: 'not_found (no such account)' },
  }),
  deleteUser: defineRoute({
    method: 'delete',
    path: '/api/admin/users/:id',
    summary:
      'Delete an account and everything it owns (as its owner can); its sessions end, account.deleted is sent; the audit event keeps only its id (admins only; 404 for everyone else).',
    auth: 'admin',
    params: IdParams,
    errors: { 400: 'own_account (delete your own account from Settings)', 404: 'not_found (no such account)' },
  }),
  audit: defineRoute({
    method: 'get',
    path: '/api/admin/audit',
    summary:
      "Every account's audit events, newest first, filtered by actor, target, type and time (admins only; 404 for everyone else).",
    auth: 'admin',
    query: AdminAuditQuery,
    response: z.object({ events: z.array(AdminAuditEvent), total: z.number().int() }),
  }),
};
