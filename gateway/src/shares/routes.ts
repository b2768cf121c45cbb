import { Router } from 'express';
import { z } from 'zod';
import { CreateShareBody, CreatedShare, ShareList, SharedConversation } from '@parley/protocol';
import type { AppContext } from '../context';
import { requireUser } from '../auth/current-user';
import { validateBody } from '../http/validate';
import { errors } from '../http/errors';
import { registerRoute } from '../openapi/registry';
import { expectedOrigin } from '../security/origin';
import { SharesService } from './service';

const ShareIdParams = z.object({ id: z.string().uuid() });

registerRoute({
  method: 'post',
  path: '/api/shares',
  summary: 'Create a read-only link to one of your conversations (the token is shown once)',
  tag: 'shares',
  auth: 'user',
  request: CreateShareBody,
  response: CreatedShare,
  status: 201,
});
registerRoute({
  method: 'get',
  path: '/api/shares',
  summary: 'Your share links that still open',
  tag: 'shares',
  auth: 'user',
  response: ShareList,
});
registerRoute({
  method: 'delete',
  path: '/api/shares/:id',
  summary: 'Revoke a share link (it answers 404 from now on)',
  tag: 'shares',
  auth: 'user',
});
registerRoute({
  method: 'get',
  path: '/api/shared/:token',
  summary: 'A shared conversation, signed out; unknown, revoked and expired links are the same 404',
  tag: 'shares',
  response: SharedConversation,
  errors: { 404: 'not_found' },
});

/**
 *   POST   /api/shares          → 201 { share, token, url }
 *   GET    /api/shares          → { shares }
 *   DELETE /api/shares/:id      → 204
 *   GET    /api/shared/:token   → the transcript, public, X-Robots-Tag: noindex
 */
export function sharesRouter(ctx: AppContext): Router {
  const router = Router();
  const shares = new SharesService(ctx.repos);

  router.post('/api/shares', requireUser, async (req, res) => {
    const body = validateBody(req, CreateShareBody);
    const { share, token } = await shares.create(req.user!.id, body);
    const origin = expectedOrigin(req, ctx.config) ?? '';
    req.log?.info({ shareId: share.id, conversationId: share.conversationId }, 'share link created');
    res.status(201).json({ share, token, url: `${origin}/s/${token}` });
  });

  router.get('/api/shares', requireUser, async (req, res) => {
    res.set('Cache-Control', 'private, no-store');
    res.json({ shares: await shares.list(req.user!.id) });
  });

  router.delete('/api/shares/:id', requireUser, async (req, res) => {
    const params = ShareIdParams.safeParse(req.params);
    if (!params.success) throw errors.notFound('Share link');
    await shares.revoke(req.user!.id, params.data.id);
    req.log?.info({ shareId: params.data.id }, 'share link revoked');
    res.status(204).end();
  });

  router.get('/api/shared/:token', async (req, res) => {
    res.set({ 'X-Robots-Tag': 'noindex, nofollow', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
    res.json(await shares.open(String(req.params.token ?? '')));
  });

  return router;
}
