import { z } from 'zod';

/**
 * Which speech and language providers are active. The agent builds its pipeline from this and the
 * gateway reports it (readiness, voice catalogue, the web client's "local providers" banner).
 * With no keys at all every kind falls back to a local provider, so Parley talks out of the box.
 */
export const SttProvider = z.enum(['deepgram', 'openai', 'local']);
export const LlmProvider = z.enum(['openai', 'xai', 'openai-compatible', 'offline']);
export const TtsProvider = z.enum(['cartesia', 'openai', 'local']);
export type SttProvider = z.infer<typeof SttProvider>;
export type LlmProvider = z.infer<typeof LlmProvider>;
export type TtsProvider = z.infer<typeof TtsProvider>;
/** The three stages of a voice pipeline. */
export const ProviderStage = z.enum(['stt', 'llm', 'tts']);
export type ProviderStage = z.infer<typeof ProviderStage>;
/** Any provider of any stage (what a fallback chain names). */
export const AnyProvider = z.union([SttProvider, LlmProvider, TtsProvider]);
export type AnyProvider = z.infer<typeof AnyProvider>;

/**
 * A provider a running call saw fail (the agent's FallbackAdapter marked it unavailable and the
 * next provider of its stage took over). Reported by the agent, shown by /readyz,
 * /api/providers and the web banner until it recovers.
 */
export const DegradedProvider = z.object({
  stage: ProviderStage,
  provider: AnyProvider,
  /** The provider serving the stage instead, when one is left. */
  fallback: AnyProvider.nullable(),
  since: z.string().datetime({ offset: true }),
});
export type DegradedProvider = z.infer<typeof DegradedProvider>;

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));
const optionalUrl = optionalString.pipe(z.string().url().optional());

export const ProviderEnv = z.object({
  STT_PROVIDER: SttProvider.optional(),
  LLM_PROVIDER: LlmProvider.optional(),
  TTS_PROVIDER: TtsProvider.optional(),
  DEEPGRAM_API_KEY: optionalString,
  DEEPGRAM_BASE_URL: optionalUrl,
  DEEPGRAM_MODEL: z.string().default('nova-3'),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_STT_MODEL: z.string().default('gpt-4o-transcribe'),
  /** false: multipart /audio/transcriptions (self-hosted Whisper servers) instead of the realtime socket. */
  OPENAI_STT_REALTIME: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  OPENAI_TTS_MODEL: z.string().default('gpt-4o-mini-tts'),
  OPENAI_TTS_VOICE: z.string().default('alloy'),
  XAI_API_KEY: optionalString,
  XAI_BASE_URL: optionalUrl,
  LLM_BASE_URL: optionalUrl,
  LLM_API_KEY: optionalString,
  LLM_MODEL: optionalString,
  CARTESIA_API_KEY: optionalString,
  CARTESIA_BASE_URL: optionalUrl,
  CARTESIA_MODEL: z.string().default('sonic-2'),
  CARTESIA_VOICE: z.string().default('794f9389-aac1-45b6-b726-9d9369183238'),
});
export type ProviderEnv = z.infer<typeof ProviderEnv>;

export interface ActiveProviders {
  stt: SttProvider;
  llm: LlmProvider;
  tts: TtsProvider;
  /** Model the LLM provider uses. */
  llmModel: string;
}

export const DEFAULT_LLM_MODELS: Record<LlmProvider, string> = {
  openai: 'gpt-4.1-mini',
  xai: 'grok-4-fast-non-reasoning',
  'openai-compatible': 'llama3.2',
  offline: 'parley-echo',
};

export function resolveProviders(env: ProviderEnv): ActiveProviders {
  const stt: SttProvider =
    env.STT_PROVIDER ?? (env.DEEPGRAM_API_KEY ? 'deepgram' : env.OPENAI_API_KEY ? 'openai' : 'local');
  const llm: LlmProvider =
    env.LLM_PROVIDER ??
    (env.OPENAI_API_KEY ? 'openai' : env.XAI_API_KEY ? 'xai' : env.LLM_BASE_URL ? 'openai-compatible' : 'offline');
  const tts: TtsProvider =
    env.TTS_PROVIDER ?? (env.CARTESIA_API_KEY ? 'cartesia' : env.OPENAI_API_KEY ? 'openai' : 'local');
  return { stt, llm, tts, llmModel: env.LLM_MODEL ?? DEFAULT_LLM_MODELS[llm] };
}

/** Problems that make a provider choice unusable, phrased with the variable to set. */
export function providerConfigProblems(env: ProviderEnv, active: ActiveProviders): string[] {
  const problems: string[] = [];
  if (active.stt === 'deepgram' && !env.DEEPGRAM_API_KEY) problems.push('STT_PROVIDER=deepgram needs DEEPGRAM_API_KEY');
  if (active.stt === 'openai' && !env.OPENAI_API_KEY) problems.push('STT_PROVIDER=openai needs OPENAI_API_KEY');
  if (active.llm === 'openai' && !env.OPENAI_API_KEY) problems.push('LLM_PROVIDER=openai needs OPENAI_API_KEY');
  if (active.llm === 'xai' && !env.XAI_API_KEY) problems.push('LLM_PROVIDER=xai needs XAI_API_KEY');
  if (active.llm === 'openai-compatible' && !env.LLM_BASE_URL)
    problems.push('LLM_PROVIDER=openai-compatible needs LLM_BASE_URL');
  if (active.tts === 'cartesia' && !env.CARTESIA_API_KEY) problems.push('TTS_PROVIDER=cartesia needs CARTESIA_API_KEY');
  if (active.tts === 'openai' && !env.OPENAI_API_KEY) problems.push('TTS_PROVIDER=openai needs OPENAI_API_KEY');
  return problems;
}

/** One thing a local speech engine lacks: its program or its model files, and the Debian package that brings it. */
export const MissingSpeechEngine = z.object({
  stage: z.enum(['stt', 'tts']),
  missing: z.enum(['program', 'model']),
  /** The program's name, or the model's folder. */
  name: z.string().max(300),
  /** The Debian package to install (`apt-get install <package>`). */
  package: z.string().max(100),
});
export type MissingSpeechEngine = z.infer<typeof MissingSpeechEngine>;

/**
 * What an agent worker reports about the local engines its configured providers need: per kind,
 * why it cannot run (what is missing and how to install it). An absent key means it runs.
 */
export const SpeechEngineProblems = z.object({
  stt: z.string().max(500).optional(),
  tts: z.string().max(500).optional(),
  /** The same problems as data, so a page can say them in its own language (older workers omit it). */
  missing: z.array(MissingSpeechEngine).max(10).optional(),
});
export type SpeechEngineProblems = z.infer<typeof SpeechEngineProblems>;

/** The sentences shown to people (readiness, banner, refused calls) for missing engines. */
export function speechProblemMessages(p: SpeechEngineProblems | undefined): string[] {
  const out: string[] = [];
  if (p?.stt) out.push(`speech recognition is not installed on the server: ${p.stt}`);
  if (p?.tts) out.push(`speech synthesis is not installed on the server: ${p.tts}`);
  return out;
}
