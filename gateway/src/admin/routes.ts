import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context';
import { validateQuery } from '../http/validate';
import { registerRoute } from '../openapi/registry';
import { requireAdmin } from '../auth/current-user';

const Page = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
const ConversationsQuery = Page.extend({ userId: z.string().uuid().optional() });

const AdminUser = z.object({
  id: z.string().uuid(),
  email: z.string(),
  displayName: z.string(),
  role: z.enum(['user', 'admin']),
  createdAt: z.string(),
});
const AdminConversation = z.object({
  id: z.string().uuid(),
  userId: z.string().uuid(),
  status: z.enum(['created', 'active', 'ended']),
  language: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  turnCount: z.number(),
  endReason: z.string().nullable(),
});
const UsersPage = z.object({ users: z.array(AdminUser), total: z.number().int() });
const ConversationsPage = z.object({ conversations: z.array(AdminConversation), total: z.number().int() });

registerRoute({
  method: 'get',
  path: '/api/admin/users',
  summary: 'All accounts, newest first (admins only; 404 for everyone else).',
  auth: 'admin',
  query: Page,
  response: UsersPage,
});
registerRoute({
  method: 'get',
  path: '/api/admin/conversations',
  summary:
    'All conversations as metadata only, newest first (admins only; 404 for everyone else). No titles or transcripts.',
  auth: 'admin',
  query: ConversationsQuery,
  response: ConversationsPage,
});

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** Read-only administration. requireAdmin answers 404 so the routes are not advertised. */
export function adminRouter(ctx: AppContext): Router {
  const router = Router();
  router.use('/api/admin', requireAdmin);

  router.get('/api/admin/users', async (req, res) => {
    const page = validateQuery(req, Page);
    const { users, total } = await ctx.repos.users.list(page);
    res.json({
      users: users.map((u) => ({
        id: u.id,
        email: u.email,
        displayName: u.displayName,
        role: u.role,
        createdAt: iso(u.createdAt),
      })),
      total,
    });
  });

  router.get('/api/admin/conversations', async (req, res) => {
    const q = validateQuery(req, ConversationsQuery);
    const { rows, total } = await ctx.repos.conversations.listAll(q);
    res.json({
      conversations: rows.map((r) => ({
        id: r.id,
        userId: r.userId,
        status: r.status,
        language: r.language,
        createdAt: iso(r.createdAt),
        startedAt: iso(r.startedAt),
        endedAt: iso(r.endedAt),
        durationMs: r.durationMs,
        turnCount: r.turnCount,
        endReason: r.endReason,
      })),
      total,
    });
  });

  return router;
}
