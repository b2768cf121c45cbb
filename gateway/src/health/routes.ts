import { Router } from 'express';
import type { AppContext } from '../context';

type Check = { status: 'ok' | 'down'; latencyMs?: number; detail?: string; [k: string]: unknown };

async function timed(fn: () => Promise<Record<string, unknown> | void>, timeoutMs = 2000): Promise<Check> {
  const start = performance.now();
  try {
    const extra = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref()),
    ]);
    return { status: 'ok', latencyMs: Math.round(performance.now() - start), ...(extra ?? {}) };
  } catch (err) {
    return { status: 'down', detail: (err as Error).message.slice(0, 200) };
  }
}

/** GET /healthz (process is up) and GET /readyz (every dependency, one JSON report). */
export function healthRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [database, sessions, livekit, agent] = await Promise.all([
      timed(async () => {
        await ctx.repos.ping();
        return { mode: ctx.config.database.url ? 'postgres' : 'embedded' };
      }),
      timed(async () => {
        await ctx.kv.ping();
        return { mode: ctx.redis ? 'redis' : 'single-process' };
      }),
      timed(async () => {
        await ctx.livekit.rooms.listRooms(['parley-readiness-probe']);
      }),
      timed(async () => {
        const hb = await ctx.agents.latest();
        if (!hb?.registered) throw new Error('no agent worker has registered');
        return { agentName: hb.agentName, activeJobs: hb.activeJobs, providers: hb.providers };
      }),
    ]);
    const components = { database, sessions, livekit, agent };
    const ready = Object.values(components).every((c) => c.status === 'ok');
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ok' : 'degraded', components, providers: ctx.config.providers });
  });
  return router;
}
