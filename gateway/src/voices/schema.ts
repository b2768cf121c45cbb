import { z } from 'zod';
import { Language, LANGUAGES, SttProvider, TtsProvider, LlmProvider } from '@parley/protocol';

export const VoiceView = z.object({
  id: z.string(),
  name: z.string(),
  language: z.string().nullable(),
  description: z.string().optional(),
});
export const VoicesQuery = z.strictObject({ language: Language.optional() });
export const VoicesResponse = z.object({
  provider: TtsProvider,
  source: z.enum(['provider', 'builtin']),
  voices: z.array(VoiceView),
});
export const LanguagesResponse = z.object({
  languages: z.array(
    z.object({ code: z.enum(LANGUAGES.map((l) => l.code) as [string, ...string[]]), name: z.string() }),
  ),
});
export const ProvidersResponse = z.object({
  stt: SttProvider,
  llm: LlmProvider,
  tts: TtsProvider,
  llmModel: z.string(),
  catalogue: z.object({
    tts: z.object({ source: z.enum(['provider', 'builtin']), voices: z.number().int() }),
    stt: z
      .object({
        provider: z.literal('deepgram'),
        keyValid: z.boolean().nullable(),
        models: z.array(z.object({ name: z.string(), languages: z.array(z.string()) })),
        detail: z.string().optional(),
      })
      .nullable(),
  }),
  /** Why calls cannot hear or speak ("speech recognition is not installed on the server: …"); empty when they can. */
  unavailable: z.array(z.string()),
});
