import { Router } from 'express';
import type { AppContext } from '../context';
import { signedJson } from '../internal/signed-json';
import { validateBody } from '../http/validate';
import { AgentHeartbeat } from './registry';
import { CallDirectory } from '../calls/directory';
import { AgentRecovery } from '../calls/recovery';

/**
 * POST /internal/agents/heartbeat — the agent worker's liveness (used by /readyz) and its running
 * jobs: a job the worker listed before and no longer runs, in a call that is still live, was lost
 * (its process died) and is re-dispatched (calls/recovery.ts).
 */
export function agentsRouter(ctx: AppContext): Router {
  const router = Router();
  const recovery = new AgentRecovery(ctx, new CallDirectory(ctx.repos, ctx.kv));
  router.post('/internal/agents/heartbeat', ...signedJson(ctx.config.ingestSecret), async (req, res) => {
    const gone = await ctx.agents.record(validateBody(req, AgentHeartbeat));
    res.status(204).end();
    for (const job of gone)
      await recovery
        .agentLost(job.room, `agent-${job.id}`, 'heartbeat')
        .catch((err: Error) => req.log.warn({ errName: err.name }, 'agent recovery from heartbeat failed'));
  });
  return router;
}
