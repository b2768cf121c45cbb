import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';
import { expectedOrigin } from '../security/origin';
import { SharesService } from './service';

/**
 *   POST   /api/shares          → 201 { share, token, url }
 *   GET    /api/shares          → { shares }
 *   DELETE /api/shares/:id      → 204
 *   GET    /api/shared/:token   → the transcript, public, X-Robots-Tag: noindex
 */
export function sharesRouter(ctx: AppContext): Router {
  const router = Router();
  const shares = new SharesService(ctx.repos);

  route(router, api.shares.create, async ({ body }, req) => {
    const { share, token } = await shares.create(req.user!.id, body);
    const origin = expectedOrigin(req, ctx.config) ?? '';
    req.log?.info({ shareId: share.id, conversationId: share.conversationId }, 'share link created');
    return { share, token, url: `${origin}/s/${token}` };
  });

  route(router, api.shares.list, async (_input, req, res) => {
    res.set('Cache-Control', 'private, no-store');
    return { shares: await shares.list(req.user!.id) };
  });

  route(router, api.shares.revoke, async ({ params: { id } }, req) => {
    await shares.revoke(req.user!.id, id);
    req.log?.info({ shareId: id }, 'share link revoked');
  });

  route(router, api.shares.open, async ({ params: { token } }, _req, res) => {
    res.set({ 'X-Robots-Tag': 'noindex, nofollow', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
    return shares.open(token);
  });

  return router;
}
