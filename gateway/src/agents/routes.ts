import { Router } from 'express';
import type { AppContext } from '../context';
import { signedJson } from '../internal/signed-json';
import { validateBody } from '../http/validate';
import { AgentHeartbeat } from './registry';

/** POST /internal/agents/heartbeat — the agent worker's liveness, used by /readyz. */
export function agentsRouter(ctx: AppContext): Router {
  const router = Router();
  router.post('/internal/agents/heartbeat', ...signedJson(ctx.config.ingestSecret), async (req, res) => {
    await ctx.agents.record(validateBody(req, AgentHeartbeat));
    res.status(204).end();
  });
  return router;
}
