import { Router } from 'express';
import { z } from 'zod';
import { historyRepo } from '@parley/db';
import type { AppContext } from '../context';
import { requireUser } from '../auth/current-user';
import { validateBody } from '../http/validate';

export const RetentionBody = z.object({ days: z.number().int().min(1).max(3650).nullable() }).strict();

/**
 *   GET /api/me/retention → { retentionDays }
 *   PUT /api/me/retention { days: 1..3650 | null } → { retentionDays }   (null: keep forever)
 */
export function retentionRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/api/me/retention', requireUser, async (req, res) => {
    const row = await ctx.db('users').where({ id: req.user!.id }).first('retention_days');
    res.json({ retentionDays: row?.retention_days ?? null });
  });

  router.put('/api/me/retention', requireUser, async (req, res) => {
    const { days } = validateBody(req, RetentionBody);
    await historyRepo.setRetentionDays(ctx.db, req.user!.id, days);
    req.log?.info({ event: 'retention_changed', days }, 'retention setting changed');
    res.json({ retentionDays: days });
  });

  return router;
}
