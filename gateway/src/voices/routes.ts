import { Router } from 'express';
import { api, LANGUAGES } from '@parley/protocol';
import type { AppContext } from '../context';
import { route } from '../http/route';
import { limiter } from '../security/rate-limit';
import { voiceCatalogue } from './catalogue';
import { voicePreviews } from './preview';
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

  // Each preview that is not cached costs a provider request: 20 a minute per client is plenty for
  // trying voices out. Public like the voice list (the guest page has no settings, but it costs nothing to share).
  const previews = voicePreviews(ctx);
  const previewLimit = limiter(ctx, { name: 'voice-preview', windowMs: 60_000, limit: 20 });
  route(router, api.voices.preview, previewLimit, async ({ query }, _req, res) => {
    const { wav } = await previews.get(query.voice, query.language);
    res.set({
      'Content-Type': 'audio/wav',
      'Content-Length': String(wav.length),
      'Cache-Control': 'private, max-age=86400',
      'X-Content-Type-Options': 'nosniff',
    });
    res.status(200).end(wav);
  });

  route(router, api.voices.languages, (_input, _req, res) => {
    res.set('Cache-Control', 'public, max-age=3600');
    return { languages: [...LANGUAGES] };
  });

  route(router, api.voices.providers, async () => {
    const [voices, stt, unavailable, missingEngines, degraded] = await Promise.all([
      voiceCatalogue(ctx),
      sttCatalogue(ctx),
      ctx.agents.speechProblems(),
      ctx.agents.missingSpeechEngines(),
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
      missingEngines,
      degraded,
    };
  });

  return router;
}
