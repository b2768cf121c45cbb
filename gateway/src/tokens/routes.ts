import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { route } from '../http/route';
import { createToken, presentToken } from './service';

/**
 * Personal API tokens, managed with the session cookie only (the contracts list no scope):
 *   POST   /api/tokens       → 201 { apiToken, token }   (the token, once)
 *   GET    /api/tokens       → { tokens }
 *   DELETE /api/tokens/:id   → 204
 * Using a token: bearer.ts.
 */
export function tokensRouter(ctx: AppContext): Router {
  const router = Router();

  route(router, api.tokens.create, async ({ body }, req, res) => {
    res.set('Cache-Control', 'no-store');
    const created = await createToken(ctx.repos, req.user!.id, body);
    req.log?.info({ tokenId: created.apiToken.id, scopes: created.apiToken.scopes }, 'api token created');
    return created;
  });

  route(router, api.tokens.list, async (_input, req, res) => {
    res.set('Cache-Control', 'private, no-store');
    return { tokens: (await ctx.repos.apiTokens.listActive(req.user!.id)).map(presentToken) };
  });

  route(router, api.tokens.revoke, async ({ params: { id } }, req) => {
    if (!(await ctx.repos.apiTokens.revoke(req.user!.id, id))) throw errors.notFound('Token');
    req.log?.info({ tokenId: id }, 'api token revoked');
  });

  return router;
}
