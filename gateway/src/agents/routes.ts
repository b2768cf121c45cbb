import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';
import { signedJson } from '../internal/signed-json';
import { CallDirectory } from '../calls/directory';
import { AgentRecovery } from '../calls/recovery';

/**
 * POST /internal/agents/heartbeat — the agent worker's liveness (used by /readyz) and its running
 * jobs: a job the worker listed before and no longer runs, in a call that is still live, was lost
 * (its process died) and is re-dispatched (calls/recovery.ts).
 */
export function agentsRouter(ctx: AppContext): Router {
  const router = Router();
  const recovery = new AgentRecovery(ctx, new CallDirectory(ctx.repos, ctx.kv, ctx.metrics.calls));
  route(router, api.internal.heartbeat, ...signedJson(ctx.config.ingestSecret), async ({ body }, req, res) => {
    const gone = await ctx.agents.record(body);
    res.status(204).end(); // answered before recovery runs: the worker does not wait for it
    for (const job of gone)
      await recovery
        .agentLost(job.room, `agent-${job.id}`, 'heartbeat')
        .catch((err: Error) => req.log.warn({ errName: err.name }, 'agent recovery from heartbeat failed'));
  });
  return router;
}
