import { Router } from 'express';
import type { AppContext } from '../context';
import { buildOpenApiDocument, registerRoute } from './registry';
import './core-routes';

registerRoute({ method: 'get', path: '/api/openapi.json', summary: 'This OpenAPI 3.1 document.', tag: 'meta' });

/** GET /api/openapi.json, built from every registerRoute() call. */
export function openapiRouter(_ctx: AppContext): Router {
  const router = Router();
  router.get('/api/openapi.json', (_req, res) => {
    res.json(buildOpenApiDocument());
  });
  return router;
}
