import { Router } from 'express';
import { api, LANGUAGES } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';
import { voiceCatalogue } from './catalogue';
import { sttCatalogue } from './stt-catalogue';

/** GET /api/voices, /api/languages, /api/providers: public, no personal data. */
export function voicesRouter(ctx: AppContext): Router {
  const router = Router();

  route(router, api.voices.voices, async ({ query }, _req, res) => {
    const c = await voiceCatalogue(ctx);
    const voices = query.language
      ? c.voices.filter((v) => v.language === null || v.language === query.language)
      : c.voices;
    res.set('Cache-Control', 'private, max-age=60');
    return { provider: c.provider, source: c.source, voices };
  });

  route(router, api.voices.languages, (_input, _req, res) => {
    res.set('Cache-Control', 'public, max-age=3600');
    return { languages: [...LANGUAGES] };
  });

  route(router, api.voices.providers, async () => {
    const [voices, stt, unavailable, degraded] = await Promise.all([
      voiceCatalogue(ctx),
      sttCatalogue(ctx),
      ctx.agents.speechProblems(),
      ctx.agents.degradedProviders(),
    ]);
    const p = ctx.config.providers;
    return {
      stt: p.stt,
      llm: p.llm,
      tts: p.tts,
      llmModel: p.llmModel,
      catalogue: { tts: { source: voices.source, voices: voices.voices.length }, stt },
      unavailable,
      degraded,
    };
  });

  return router;
}
