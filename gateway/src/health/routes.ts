import { Router } from 'express';
import { api, speechProblemMessages } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';

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
    return { status: 'down', detail: (err as Error).message.slice(0, 1000) };
  }
}

/** GET /healthz (process is up) and GET /readyz (every dependency, one JSON report). */
export function healthRouter(ctx: AppContext): Router {
  const router = Router();
  // Probes are not access-logged (http/logger.ts); what readiness says is logged when it changes.
  let lastSummary: string | undefined;
  const logChange = (ready: boolean, components: Record<string, Check>) => {
    const down = Object.fromEntries(
      Object.entries(components)
        .filter(([, c]) => c.status !== 'ok')
        .map(([name, c]) => [name, c.detail ?? 'down']),
    );
    const summary = JSON.stringify(down);
    if (summary === lastSummary) return;
    const wasReady = lastSummary === '{}';
    lastSummary = summary;
    if (ready) ctx.logger.info('ready');
    // Not ready yet during start-up is expected; losing readiness is not.
    else ctx.logger[wasReady ? 'warn' : 'info']({ down }, 'not ready');
  };
  route(router, api.meta.healthz, () => ({ status: 'ok' as const }));
  route(router, api.meta.readyz, async (_input, _req, res) => {
    const [database, sessions, livekit, agent, speech] = await Promise.all([
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
      // The engines run in the agent worker's process, so the worker probes them and reports here.
      timed(async () => {
        const hb = await ctx.agents.latest();
        if (!hb) throw new Error('unknown until an agent worker reports');
        const problems = speechProblemMessages(hb.speech);
        if (problems.length) throw new Error(problems.join('; '));
        return { stt: hb.providers.stt, tts: hb.providers.tts };
      }),
    ]);
    const components = { database, sessions, livekit, agent, speech };
    const ready = Object.values(components).every((c) => c.status === 'ok');
    logChange(ready, components);
    res.status(ready ? 200 : 503);
    return { status: ready ? ('ok' as const) : ('degraded' as const), components, providers: ctx.config.providers };
  });
  return router;
}
