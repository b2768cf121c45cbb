import { Router } from 'express';
import { LANGUAGES } from '@parley/protocol';
import type { AppContext } from '../context';
import { validateQuery } from '../http/validate';
import { registerRoute } from '../openapi/registry';
import { voiceCatalogue } from './catalogue';
import { LanguagesResponse, ProvidersResponse, VoicesQuery, VoicesResponse } from './schema';
import { sttCatalogue } from './stt-catalogue';

registerRoute({
  method: 'get',
  path: '/api/voices',
  summary: 'Voices of the active text-to-speech provider (optionally for one language).',
  query: VoicesQuery,
  response: VoicesResponse,
});
registerRoute({
  method: 'get',
  path: '/api/languages',
  summary: 'Languages Parley supports.',
  response: LanguagesResponse,
});
registerRoute({
  method: 'get',
  path: '/api/providers',
  summary: 'Active speech/LLM providers and what their catalogues report (degrades, never fails).',
  response: ProvidersResponse,
});

/** GET /api/voices, /api/languages, /api/providers: public, no personal data. */
export function voicesRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/api/voices', async (req, res) => {
    const q = validateQuery(req, VoicesQuery);
    const c = await voiceCatalogue(ctx);
    const voices = q.language ? c.voices.filter((v) => v.language === null || v.language === q.language) : c.voices;
    res.set('Cache-Control', 'private, max-age=60').json({ provider: c.provider, source: c.source, voices });
  });

  router.get('/api/languages', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').json({ languages: LANGUAGES });
  });

  router.get('/api/providers', async (_req, res) => {
    const [voices, stt, unavailable] = await Promise.all([
      voiceCatalogue(ctx),
      sttCatalogue(ctx),
      ctx.agents.speechProblems(),
    ]);
    const p = ctx.config.providers;
    res.json({
      stt: p.stt,
      llm: p.llm,
      tts: p.tts,
      llmModel: p.llmModel,
      catalogue: { tts: { source: voices.source, voices: voices.voices.length }, stt },
      unavailable,
    });
  });

  return router;
}
