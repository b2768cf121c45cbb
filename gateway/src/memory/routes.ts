import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { route } from '../http/route';
import { signedJson } from '../internal/signed-json';
import { MemoryService } from './service';

/**
 *   GET    /api/me/memory                      → { enabled, summaries }
 *   DELETE /api/me/memory/:id                  → 204 (404 when there is no such summary of yours)
 *   DELETE /api/me/memory                      → 204
 *   POST   /internal/conversations/:id/memory  → the agent's start context (signed)
 *   POST   /internal/conversations/:id/recall  → the agent's recall tool (signed)
 */
export function memoryRouter(ctx: AppContext): Router {
  const router = Router();
  const memory = new MemoryService(ctx);

  route(router, api.memory.list, async (_input, req, res) => {
    res.set('Cache-Control', 'private, no-store');
    return memory.list(req.user!.id);
  });

  route(router, api.memory.forget, async ({ params: { id } }, req) => {
    if (!(await ctx.repos.memory.forget(req.user!.id, id))) throw errors.notFound('Summary');
    await ctx.repos.audit.record({ userId: req.user!.id, type: 'memory_forget', ip: req.ip, details: { count: 1 } });
  });

  route(router, api.memory.forgetAll, async (_input, req) => {
    const count = await ctx.repos.memory.forgetAll(req.user!.id);
    await ctx.repos.audit.record({ userId: req.user!.id, type: 'memory_forget', ip: req.ip, details: { count } });
  });

  route(router, api.memory.context, ...signedJson(ctx.config.ingestSecret), async ({ params }) =>
    memory.contextFor(params.id),
  );

  route(router, api.memory.recall, ...signedJson(ctx.config.ingestSecret), async ({ params, body }) =>
    memory.recall(params.id, body.query),
  );

  return router;
}
