import { Router } from 'express';
import type { AppContext } from '../context';
import { requireUser } from '../auth/current-user';
import { validateBody } from '../http/validate';
import { RetentionBody } from './schema';

/**
 *   GET /api/me/retention → { retentionDays }
 *   PUT /api/me/retention { days: 1..3650 | null } → { retentionDays }   (null: keep forever)
 */
export function retentionRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/api/me/retention', requireUser, async (req, res) => {
    res.json({ retentionDays: await ctx.repos.retention.days(req.user!.id) });
  });

  router.put('/api/me/retention', requireUser, async (req, res) => {
    const { days } = validateBody(req, RetentionBody);
    await ctx.repos.retention.setDays(req.user!.id, days);
    req.log?.info({ event: 'retention_changed', days }, 'retention setting changed');
    res.json({ retentionDays: days });
  });

  return router;
}
