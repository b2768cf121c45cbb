import { Router } from 'express';
import { getPreferences, recordAudit, savePreferences } from '@parley/db';
import { DEFAULT_PREFERENCES, Preferences } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { validateBody } from '../http/validate';
import { registerRoute } from '../openapi/registry';
import { requireUser } from '../auth/current-user';
import { voiceCatalogue } from '../voices/catalogue';

/** PUT replaces the whole object; unknown fields are refused. */
export const PreferencesBody = Preferences.strict();

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

/** The caller's saved preferences or the defaults, already in the shape the agent reads. */
export async function preferencesFor(ctx: AppContext, userId: string): Promise<Preferences> {
  const stored = await getPreferences(ctx.db, userId);
  if (!stored) return { ...DEFAULT_PREFERENCES };
  const parsed = Preferences.safeParse(stored);
  return parsed.success ? parsed.data : { ...DEFAULT_PREFERENCES };
}

/** GET/PUT /api/me/preferences: the signed-in user's own, never anyone else's. */
export function preferencesRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/api/me/preferences', requireUser, async (req, res) => {
    res.json(await preferencesFor(ctx, req.user!.id));
  });

  router.put('/api/me/preferences', requireUser, async (req, res) => {
    const body = validateBody(req, PreferencesBody);
    if (body.ttsVoice !== null && !(await voiceCatalogue(ctx)).has(body.ttsVoice))
      throw errors.validation([
        { path: 'ttsVoice', message: 'This voice is not offered by the active text-to-speech provider.' },
      ]);
    const before = await preferencesFor(ctx, req.user!.id);
    const saved = await savePreferences(ctx.db, req.user!.id, body);
    const fields = (Object.keys(body) as Array<keyof Preferences>).filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify(body[k]),
    );
    await recordAudit(ctx.db, { userId: req.user!.id, type: 'preferences_change', ip: req.ip, details: { fields } });
    res.json(Preferences.parse(saved));
  });

  return router;
}
