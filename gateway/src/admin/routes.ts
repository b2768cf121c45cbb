import { Router } from 'express';
import { z } from 'zod';
import { listUsers } from '@parley/db';
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
    const { users, total } = await listUsers(ctx.db, page);
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
    const base = () => (q.userId ? ctx.db('conversations').where({ user_id: q.userId }) : ctx.db('conversations'));
    const [rows, count] = await Promise.all([
      base()
        .select(
          'id',
          'user_id',
          'status',
          'language',
          'created_at',
          'started_at',
          'ended_at',
          'duration_ms',
          'turn_count',
          'end_reason',
        )
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(q.limit)
        .offset(q.offset),
      base().count<{ count: string | number }[]>({ count: '*' }).first(),
    ]);
    res.json({
      conversations: rows.map((r) => ({
        id: r.id,
        userId: r.user_id,
        status: r.status,
        language: r.language,
        createdAt: iso(r.created_at),
        startedAt: iso(r.started_at),
        endedAt: iso(r.ended_at),
        durationMs: r.duration_ms,
        turnCount: r.turn_count,
        endReason: r.end_reason,
      })),
      total: Number(count?.count ?? 0),
    });
  });

  return router;
}
