import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';
import { activeDayStreak } from './usage';

/**
 * GET /api/me/usage → { calls, minutesTalked, turns, medianTurnLatencyMs, activeDayStreak }
 * calls: conversations that started; minutesTalked: summed call durations (1 decimal); turns:
 * summed turn counts; medianTurnLatencyMs: median of utterances.metrics.e2eLatencyMs (null when
 * none); activeDayStreak: consecutive UTC days with a call, ending today or yesterday.
 */
export function usageRouter(ctx: AppContext): Router {
  const router = Router();
  route(router, api.account.usage, async (_input, req, res) => {
    const u = await ctx.repos.usage.figures(req.user!.id);
    res.set('Cache-Control', 'private, no-store');
    return {
      calls: u.calls,
      minutesTalked: Math.round(u.durationMs / 6000) / 10,
      turns: u.turns,
      medianTurnLatencyMs: u.medianTurnLatencyMs === null ? null : Math.round(u.medianTurnLatencyMs),
      activeDayStreak: activeDayStreak(u.activeDays, new Date()),
    };
  });
  return router;
}
