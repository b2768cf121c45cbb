import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';
import { preferencesService } from './service';

/** GET/PUT /api/me/preferences: the signed-in user's own, never anyone else's. */
export function preferencesRouter(ctx: AppContext): Router {
  const router = Router();
  const preferences = preferencesService(ctx);

  route(router, api.preferences.get, async (_input, req) => ({
    preferences: (await preferences.get(req.user!.id)).preferences,
  }));

  route(router, api.preferences.replace, async ({ body }, req) => ({
    preferences: await preferences.replace(req.user!.id, body, { source: 'api', ip: req.ip }),
  }));

  return router;
}
