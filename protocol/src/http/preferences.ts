import { z } from 'zod';
import { Preferences } from '../preferences';
import { defineRoute } from './route';

/** PUT replaces the whole object; unknown fields are refused. */
export const PreferencesBody = Preferences.strict();
export const PreferencesEnvelope = z.object({ preferences: Preferences });

export const preferencesRoutes = {
  get: defineRoute({
    method: 'get',
    path: '/api/me/preferences',
    summary: "The caller's voice preferences (defaults until first saved).",
    tag: 'preferences',
    auth: 'user',
    response: PreferencesEnvelope,
  }),
  replace: defineRoute({
    method: 'put',
    path: '/api/me/preferences',
    summary: 'Replace the voice preferences; every later call applies them.',
    tag: 'preferences',
    auth: 'user',
    body: PreferencesBody,
    response: PreferencesEnvelope,
    errors: { 400: 'validation_failed (unknown voice or language, prompt over 2000 characters, …)' },
  }),
};
