import { z } from 'zod';
import { Language, LANGUAGE_CODES } from '../preferences';
import { DegradedProvider, LlmProvider, MissingSpeechEngine, SttProvider, TtsProvider } from '../providers';
import { defineRoute } from './route';

export const Voice = z
  .object({
    id: z.string(),
    name: z.string(),
    /** Primary language (ISO 639-1), when the provider says. */
    language: z.string().nullable(),
    description: z.string().optional(),
  })
  .meta({ id: 'Voice' });
export type Voice = z.infer<typeof Voice>;
/** 'provider': listed by the provider's API just now (cached); 'builtin': Parley's own list. */
export const CatalogueSource = z.enum(['provider', 'builtin']);

export const VoicesQuery = z.strictObject({ language: Language.optional() });
/**
 * A voice preview's question. Both are plain strings here so that a voice the provider does not offer
 * and a language Parley does not speak get their own stable codes (unknown_voice, unsupported_language).
 */
export const VoicePreviewQuery = z.strictObject({
  /** Without a voice: the provider's configured default voice (what "Default voice" in Settings speaks with). */
  voice: z.string().min(1).max(200).optional(),
  language: z.string().min(1).max(20),
});
export const VoicesResponse = z.object({ provider: TtsProvider, source: CatalogueSource, voices: z.array(Voice) });

export const LanguageOption = z.object({ code: z.enum(LANGUAGE_CODES), name: z.string() });
export type LanguageOption = z.infer<typeof LanguageOption>;
export const LanguagesResponse = z.object({ languages: z.array(LanguageOption) });

export const SttCatalogue = z.object({
  provider: z.literal('deepgram'),
  /** true/false when Deepgram answered; null when it could not be reached. */
  keyValid: z.boolean().nullable(),
  /** Streaming speech-to-text models Deepgram offers (empty when unknown). */
  models: z.array(z.object({ name: z.string(), languages: z.array(z.string()) })),
  detail: z.string().optional(),
});
export type SttCatalogue = z.infer<typeof SttCatalogue>;

/** A report of this route only, so it is the body itself (see the envelope rule in protocol/README.md). */
export const ProvidersResponse = z.object({
  stt: SttProvider,
  llm: LlmProvider,
  tts: TtsProvider,
  llmModel: z.string(),
  catalogue: z.object({
    tts: z.object({ source: CatalogueSource, voices: z.number().int() }),
    stt: SttCatalogue.nullable(),
  }),
  /** Why calls cannot hear or speak ("speech recognition is not installed on the server: …"); empty when they can. */
  unavailable: z.array(z.string()),
  /** The same as data (stage, program or model, package), for a page to say in its language; empty when calls can hear and speak. */
  missingEngines: z.array(MissingSpeechEngine),
  /** Providers a call saw fail, served by their fallback meanwhile (empty when all are well). */
  degraded: z.array(DegradedProvider),
});
export type ProvidersResponse = z.infer<typeof ProvidersResponse>;

export const voicesRoutes = {
  voices: defineRoute({
    method: 'get',
    path: '/api/voices',
    summary: 'Voices of the active text-to-speech provider (optionally for one language).',
    query: VoicesQuery,
    response: VoicesResponse,
  }),
  preview: defineRoute({
    method: 'get',
    path: '/api/voices/preview',
    summary:
      'A short sample of a voice in a language (audio/wav), synthesised by the configured text-to-speech provider; cached per voice and language.',
    query: VoicePreviewQuery,
    errors: {
      400: ['unknown_voice', 'unsupported_language'],
      429: 'rate_limited',
      502: 'preview_failed',
    },
  }),
  languages: defineRoute({
    method: 'get',
    path: '/api/languages',
    summary: 'Languages Parley supports.',
    response: LanguagesResponse,
  }),
  providers: defineRoute({
    method: 'get',
    path: '/api/providers',
    summary: 'Active speech/LLM providers and what their catalogues report (degrades, never fails).',
    response: ProvidersResponse,
  }),
};
