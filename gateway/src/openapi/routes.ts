import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';
import { buildOpenApiDocument } from './document';

/** GET /api/openapi.json, generated from the route contracts in protocol/src/http. */
export function openapiRouter(_ctx: AppContext): Router {
  const router = Router();
  let document: Record<string, unknown> | undefined; // built on first request: the contracts do not change at run time
  route(router, api.meta.openapi, (_input, _req, res) => {
    res.json((document ??= buildOpenApiDocument()));
  });
  return router;
}
