import { z } from 'zod';
import { IsoDateTime } from './common';
import { UsageCostQuery, UsageFigures, UsageMonth } from './account';
import { ConversationStatus } from './conversations';
import { defineRoute } from './route';

export const AdminPage = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export const AdminConversationsQuery = AdminPage.extend({ userId: z.string().uuid().optional() });

export const AdminUser = z.object({
  id: z.string().uuid(),
  email: z.string(),
  displayName: z.string(),
  role: z.enum(['user', 'admin']),
  createdAt: IsoDateTime,
});
/** Metadata only: no title, no transcript. */
export const AdminConversation = z.object({
  id: z.string().uuid(),
  userId: z.string().uuid(),
  status: ConversationStatus,
  language: z.string(),
  createdAt: IsoDateTime,
  startedAt: IsoDateTime.nullable(),
  endedAt: IsoDateTime.nullable(),
  durationMs: z.number().nullable(),
  turnCount: z.number(),
  endReason: z.string().nullable(),
});

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

export const adminRoutes = {
  users: defineRoute({
    method: 'get',
    path: '/api/admin/users',
    summary: 'All accounts, newest first (admins only; 404 for everyone else).',
    auth: 'admin',
    query: AdminPage,
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
  usage: defineRoute({
    method: 'get',
    path: '/api/admin/usage',
    summary:
      "Every account's usage and estimated cost for one UTC month (default: this one), costliest first, at most 200 (admins only; 404 for everyone else).",
    auth: 'admin',
    query: UsageCostQuery,
    response: AdminUsage,
  }),
};
