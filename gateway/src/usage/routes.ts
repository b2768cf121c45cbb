import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';
import { activeDayStreak, monthRange, toFigures } from './usage';

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

  /** GET /api/me/usage/cost?month=YYYY-MM → the month's priced usage, in total and per call. */
  route(router, api.account.usageCost, async ({ query }, req, res) => {
    const { month, from, to } = monthRange(query.month, new Date());
    const { conversations, total } = await ctx.repos.callUsage.period(req.user!.id, from, to);
    res.set('Cache-Control', 'private, no-store');
    return {
      month,
      currency: 'USD' as const,
      total: { calls: total.calls, minutes: minutes(total.durationMs), ...toFigures(total) },
      conversations: conversations.map((c) => ({
        conversationId: c.conversationId,
        title: c.title,
        startedAt: c.startedAt.toISOString(),
        minutes: minutes(c.durationMs ?? 0),
        ...toFigures(c),
      })),
    };
  });
  return router;
}

/** Minutes to one decimal. */
const minutes = (ms: number) => Math.round(ms / 6000) / 10;
