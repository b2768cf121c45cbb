import { Router } from 'express';
import { api, speechProblemMessages, type DegradedProvider } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';

/** 'degraded': working on a fallback (calls go on, so still ready); 'down': not ready. */
type Check = { status: 'ok' | 'degraded' | 'down'; latencyMs?: number; detail?: string; [k: string]: unknown };

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

/**
 * GET /healthz (process is up) and GET /readyz (every dependency, one JSON report): 503 when a
 * component is down; 200 with status 'degraded' when calls work on a fallback provider.
 */
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
    const [database, sessions, livekit, agent, speech, failover] = await Promise.all([
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
      // Providers a call saw fail over (the agent reports its FallbackAdapters' availability changes).
      timed(async () => ({ degraded: await ctx.agents.degradedProviders() })).then((c): Check => {
        const degraded = (c.degraded ?? []) as DegradedProvider[];
        if (c.status !== 'ok' || degraded.length === 0) return c;
        const detail = degraded
          .map(
            (d) =>
              `${d.stage} provider ${d.provider} failing; ${d.fallback ? `${d.fallback} serves instead` : 'no fallback left'}`,
          )
          .join('; ');
        return { ...c, status: degraded.some((d) => !d.fallback) ? 'down' : 'degraded', detail };
      }),
    ]);
    const components = { database, sessions, livekit, agent, speech, failover };
    const ready = Object.values(components).every((c) => c.status !== 'down');
    const allOk = ready && Object.values(components).every((c) => c.status === 'ok');
    logChange(ready, components);
    res.status(ready ? 200 : 503);
    return { status: allOk ? ('ok' as const) : ('degraded' as const), components, providers: ctx.config.providers };
  });
  return router;
}
