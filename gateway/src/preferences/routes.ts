import { Router } from 'express';
import { Preferences } from '@parley/protocol';
import type { AppContext } from '../context';
import { registerRoute } from '../openapi/registry';
import { requireUser } from '../auth/current-user';
import { PreferencesBody, preferencesService } from './service';

registerRoute({
  method: 'get',
  path: '/api/me/preferences',
  summary: "The caller's voice preferences (defaults until first saved).",
  tag: 'preferences',
  auth: 'user',
  response: Preferences,
});
registerRoute({
  method: 'put',
  path: '/api/me/preferences',
  summary: 'Replace the voice preferences; every later call applies them.',
  tag: 'preferences',
  auth: 'user',
  request: PreferencesBody,
  response: Preferences,
  errors: { 400: 'validation_failed (unknown voice or language, prompt over 2000 characters, …), invalid_json' },
});

/** GET/PUT /api/me/preferences: the signed-in user's own, never anyone else's. */
export function preferencesRouter(ctx: AppContext): Router {
  const router = Router();
  const preferences = preferencesService(ctx);

  router.get('/api/me/preferences', requireUser, async (req, res) => {
    res.json((await preferences.get(req.user!.id)).preferences);
  });

  router.put('/api/me/preferences', requireUser, async (req, res) => {
    res.json(await preferences.replace(req.user!.id, req.body, { source: 'api', ip: req.ip }));
  });

  return router;
}
