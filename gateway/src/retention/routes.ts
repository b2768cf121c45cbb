import { Router } from 'express';
import { z } from 'zod';
import { historyRepo } from '@parley/db';
import type { AppContext } from '../context';
import { requireUser } from '../auth/current-user';
import { validateBody } from '../http/validate';
import { startRetentionJob, type RetentionJob } from './purge';

export const RetentionBody = z.object({ days: z.number().int().min(1).max(3650).nullable() }).strict();

const jobs = new WeakMap<AppContext, RetentionJob>();

/** The running purge job of an app (started with its router). */
export const retentionJobOf = (ctx: AppContext) => jobs.get(ctx);

/**
 *   GET /api/me/retention → { retentionDays }
 *   PUT /api/me/retention { days: 1..3650 | null } → { retentionDays }   (null: keep forever)
 * Mounting the router also starts the hourly purge job for this gateway.
 */
export function retentionRouter(ctx: AppContext): Router {
  if (!jobs.has(ctx)) jobs.set(ctx, startRetentionJob(ctx.db, ctx.logger));
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
