import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { route } from '../http/route';
import { presentDelivery, presentEndpoint } from './service';

/**
 * Outgoing webhook endpoints, managed with the session cookie only (the contracts list no scope):
 *   POST   /api/webhooks                  → 201 { endpoint, secret }   (the secret, once)
 *   GET    /api/webhooks                  → { endpoints }
 *   DELETE /api/webhooks/:id              → 204
 *   POST   /api/webhooks/:id/enable       → { endpoint }
 *   GET    /api/webhooks/:id/deliveries   → { deliveries }
 * Events are queued by service.ts and sent by delivery.ts. (LiveKit's incoming webhooks: ../livekit-events.)
 */
export function webhooksRouter(ctx: AppContext): Router {
  const router = Router();
  const caller = (req: { user?: { id: string; role: string } }) => req.user!;

  route(router, api.webhooks.create, async ({ body }, req, res) => {
    res.set('Cache-Control', 'no-store');
    const created = await ctx.webhooks.createEndpoint(caller(req), body);
    req.log?.info({ endpointId: created.endpoint.id, scope: created.endpoint.scope }, 'webhook endpoint created');
    return created;
  });

  route(router, api.webhooks.list, async (_input, req, res) => {
    res.set('Cache-Control', 'private, no-store');
    const me = caller(req);
    return { endpoints: (await ctx.repos.webhooks.listEndpoints(me.id, me.role === 'admin')).map(presentEndpoint) };
  });

  route(router, api.webhooks.delete, async ({ params: { id } }, req) => {
    await ctx.webhooks.manageable(caller(req), id);
    if (!(await ctx.repos.webhooks.deleteEndpoint(id))) throw errors.notFound('Webhook endpoint');
    req.log?.info({ endpointId: id }, 'webhook endpoint deleted');
  });

  route(router, api.webhooks.enable, async ({ params: { id } }, req) => {
    await ctx.webhooks.manageable(caller(req), id);
    const endpoint = await ctx.repos.webhooks.enableEndpoint(id);
    if (!endpoint) throw errors.notFound('Webhook endpoint');
    req.log?.info({ endpointId: id }, 'webhook endpoint enabled');
    return { endpoint: presentEndpoint(endpoint) };
  });

  route(router, api.webhooks.deliveries, async ({ params: { id } }, req, res) => {
    res.set('Cache-Control', 'private, no-store');
    await ctx.webhooks.manageable(caller(req), id);
    return { deliveries: (await ctx.repos.webhooks.listDeliveries(id)).map(presentDelivery) };
  });

  return router;
}
