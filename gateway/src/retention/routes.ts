import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';

/**
 *   GET /api/me/retention → { retentionDays }
 *   PUT /api/me/retention { days: 1..3650 | null } → { retentionDays }   (null: keep forever)
 */
export function retentionRouter(ctx: AppContext): Router {
  const router = Router();

  route(router, api.account.getRetention, async (_input, req) => ({
    retentionDays: await ctx.repos.retention.days(req.user!.id),
  }));

  route(router, api.account.setRetention, async ({ body: { days } }, req) => {
    await ctx.repos.retention.setDays(req.user!.id, days);
    req.log?.info({ event: 'retention_changed', days }, 'retention setting changed');
    return { retentionDays: days };
  });

  return router;
}
