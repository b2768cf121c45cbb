import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';
import { monthRange, toFigures } from '../usage/usage';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** Read-only administration. The `admin` auth answers 404 so the routes are not advertised. */
export function adminRouter(ctx: AppContext): Router {
  const router = Router();

  route(router, api.admin.users, async ({ query }) => {
    const { users, total } = await ctx.repos.users.list(query);
    return {
      users: users.map((u) => ({
        id: u.id,
        email: u.email,
        displayName: u.displayName,
        role: u.role,
        createdAt: iso(u.createdAt)!,
      })),
      total,
    };
  });

  route(router, api.admin.conversations, async ({ query }) => {
    const { rows, total } = await ctx.repos.conversations.listAll(query);
    return {
      conversations: rows.map((r) => ({
        id: r.id,
        userId: r.userId,
        status: r.status,
        language: r.language,
        createdAt: iso(r.createdAt)!,
        startedAt: iso(r.startedAt),
        endedAt: iso(r.endedAt),
        durationMs: r.durationMs,
        turnCount: r.turnCount,
        endReason: r.endReason,
      })),
      total,
    };
  });

  route(router, api.admin.usage, async ({ query }, _req, res) => {
    const { month, from, to } = monthRange(query.month, new Date());
    const users = await ctx.repos.callUsage.perUser(from, to);
    res.set('Cache-Control', 'private, no-store');
    return {
      month,
      currency: 'USD' as const,
      users: users.map((u) => ({
        userId: u.userId,
        email: u.email,
        calls: u.calls,
        minutes: Math.round(u.durationMs / 6000) / 10,
        ...toFigures(u),
      })),
    };
  });

  return router;
}
