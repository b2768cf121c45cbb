/**
 * Provider registry: builds the STT, LLM and TTS for one call from the worker's configuration
 * (environment) and the caller's preferences (language, voice). Where two providers of a kind are
 * configured, the configured one comes first and the other follows in an @livekit/agents
 * FallbackAdapter. Keys are always passed explicitly (plugins otherwise read the environment).
 *
 * Import this module only after configuration is loaded (job.ts is loaded in job processes,
 * after main.ts validated the environment).
 */
import {
  llm as agentsLlm,
  stt as agentsStt,
  tts as agentsTts,
  type llm,
  type stt,
  type tts,
  type VAD,
} from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import * as openai from '@livekit/agents-plugin-openai';
import {
  DEFAULT_LLM_MODELS,
  type LlmProvider,
  type Preferences,
  type ProviderEnv,
  isCartesiaVoiceId,
  isOpenAiVoice,
  type ActiveProviders,
  type AnyProvider,
  type ProviderStage,
  type SttProvider,
  type TtsProvider,
} from '@parley/protocol';
import { languageName } from '../agent';
import type { StageChain } from './health';
import { createLocalStt, createLocalTts, createOfflineLlm } from './local/index';
import { OpenAiStt } from './openai-stt';
import { OpenAiTts } from './openai-tts';

export interface ProviderConfig {
  providers: ActiveProviders;
  providerEnv: ProviderEnv;
}

/**
 * Deepgram language parameter for a Parley language. Every Parley language has a monolingual
 * nova-3 model (Deepgram: en, es, fr, de, it, pt, nl, ja, hi); English is sent as en-US, the
 * plugin's own default. `multi` (nova-3 multilingual) is not used: the caller chose a language.
 */
export function deepgramLanguage(language: string): string {
  return language === 'en' ? 'en-US' : language;
}

/** The caller's Cartesia voice when it is a Cartesia voice id (a UUID), else the configured default. */
export function cartesiaVoice(env: ProviderEnv, preferred: string | null): string {
  return preferred && isCartesiaVoiceId(preferred) ? preferred : env.CARTESIA_VOICE;
}

/** The caller's OpenAI voice when OpenAI offers it, else the configured default. */
export function openaiVoice(env: ProviderEnv, preferred: string | null): string {
  return preferred && isOpenAiVoice(preferred) ? preferred : env.OPENAI_TTS_VOICE;
}

// ---- STT -------------------------------------------------------------------------------------

/** Other STT providers with credentials, in fallback order. */
export function sttChain(config: ProviderConfig): SttProvider[] {
  const env = config.providerEnv;
  const primary = config.providers.stt;
  const extra: SttProvider[] = [];
  if (env.DEEPGRAM_API_KEY) extra.push('deepgram');
  if (env.OPENAI_API_KEY) extra.push('openai');
  return [primary, ...extra.filter((p) => p !== primary && primary !== 'local')];
}

function buildStt(kind: SttProvider, env: ProviderEnv, prefs: Preferences, vad?: VAD): stt.STT {
  switch (kind) {
    case 'deepgram':
      return new deepgram.STT({
        apiKey: env.DEEPGRAM_API_KEY!,
        model: env.DEEPGRAM_MODEL,
        language: deepgramLanguage(prefs.language),
        ...(env.DEEPGRAM_BASE_URL ? { baseUrl: env.DEEPGRAM_BASE_URL } : {}),
      });
    case 'openai':
      return new OpenAiStt({
        apiKey: env.OPENAI_API_KEY!,
        model: env.OPENAI_STT_MODEL,
        language: prefs.language,
        useRealtime: env.OPENAI_STT_REALTIME,
        // The realtime path needs a VAD to commit audio; give it ours rather than a cloud one.
        ...(env.OPENAI_STT_REALTIME && vad ? { vad } : {}),
        ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
      });
    case 'local':
      return createLocalStt({ language: prefs.language });
  }
}

/**
 * The rate the room's audio reaches the pipeline at: the primary recogniser's own, so neither the
 * VAD (Silero runs at 16 kHz) nor the STT stream resamples every 10 ms frame again (each resample
 * is a call into rtc-node's FFI); LiveKit's AudioStream converts from the track's 48 kHz once, in
 * native code. OpenAI's realtime transcription takes 24 kHz; every other recogniser here 16 kHz.
 */
export function inputSampleRate(config: ProviderConfig): number {
  return config.providers.stt === 'openai' && config.providerEnv.OPENAI_STT_REALTIME ? 24_000 : 16_000;
}

export function createStt(config: ProviderConfig, prefs: Preferences, vad?: VAD): stt.STT {
  const chain = sttChain(config).map((k) => buildStt(k, config.providerEnv, prefs, vad));
  if (chain.length === 1) return chain[0]!;
  return new agentsStt.FallbackAdapter({ sttInstances: chain, ...(vad ? { vad } : {}) });
}

// ---- LLM -------------------------------------------------------------------------------------

export function llmChain(config: ProviderConfig): LlmProvider[] {
  const env = config.providerEnv;
  const primary = config.providers.llm;
  const extra: LlmProvider[] = [];
  if (env.OPENAI_API_KEY) extra.push('openai');
  if (env.XAI_API_KEY) extra.push('xai');
  if (env.LLM_BASE_URL) extra.push('openai-compatible');
  return [primary, ...extra.filter((p) => p !== primary && primary !== 'offline')];
}

function buildLlm(kind: LlmProvider, model: string, env: ProviderEnv, prefs: Preferences): llm.LLM {
  switch (kind) {
    case 'openai':
      return new openai.LLM({
        apiKey: env.OPENAI_API_KEY!,
        model,
        ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
      });
    case 'xai':
      return openai.LLM.withXAI({
        apiKey: env.XAI_API_KEY!,
        model,
        ...(env.XAI_BASE_URL ? { baseURL: env.XAI_BASE_URL } : {}),
      });
    case 'openai-compatible':
      // Local servers (Ollama, vLLM, llama.cpp) usually take any key; the SDK insists on one.
      return new openai.LLM({ apiKey: env.LLM_API_KEY ?? 'not-needed', model, baseURL: env.LLM_BASE_URL! });
    case 'offline':
      return createOfflineLlm({ language: prefs.language });
  }
}

export function createLlm(config: ProviderConfig, prefs: Preferences): llm.LLM {
  const env = config.providerEnv;
  const chain = llmChain(config).map((kind, i) => {
    const model =
      i === 0
        ? config.providers.llmModel
        : kind === 'openai-compatible'
          ? (env.LLM_MODEL ?? DEFAULT_LLM_MODELS[kind])
          : DEFAULT_LLM_MODELS[kind];
    return buildLlm(kind, model, env, prefs);
  });
  if (chain.length === 1) return chain[0]!;
  return new agentsLlm.FallbackAdapter({ llms: chain });
}

// ---- TTS -------------------------------------------------------------------------------------

export function ttsChain(config: ProviderConfig): TtsProvider[] {
  const env = config.providerEnv;
  const primary = config.providers.tts;
  const extra: TtsProvider[] = [];
  if (env.CARTESIA_API_KEY) extra.push('cartesia');
  if (env.OPENAI_API_KEY) extra.push('openai');
  return [primary, ...extra.filter((p) => p !== primary && primary !== 'local')];
}

/** The preferred voice applies to the configured provider; a fallback speaks with its default voice. */
function buildTts(kind: TtsProvider, env: ProviderEnv, prefs: Preferences, voice: string | null): tts.TTS {
  switch (kind) {
    case 'cartesia':
      return new cartesia.TTS({
        apiKey: env.CARTESIA_API_KEY!,
        model: env.CARTESIA_MODEL,
        voice: cartesiaVoice(env, voice),
        language: prefs.language,
        ...(env.CARTESIA_BASE_URL ? { baseUrl: env.CARTESIA_BASE_URL } : {}),
      });
    case 'openai': {
      const model = env.OPENAI_TTS_MODEL;
      return new OpenAiTts({
        apiKey: env.OPENAI_API_KEY!,
        model,
        voice: openaiVoice(env, voice) as never,
        // Only the gpt-4o TTS models take delivery instructions; tts-1 ignores the language anyway.
        ...(model.startsWith('gpt-') ? { instructions: `Speak naturally in ${languageName(prefs.language)}.` } : {}),
        ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
      });
    }
    case 'local':
      return createLocalTts({ voice, language: prefs.language });
  }
}

export function createTts(config: ProviderConfig, prefs: Preferences): tts.TTS {
  const chain = ttsChain(config).map((kind, i) =>
    buildTts(kind, config.providerEnv, prefs, i === 0 ? prefs.ttsVoice : null),
  );
  if (chain.length === 1) return chain[0]!;
  return new agentsTts.FallbackAdapter({ ttsInstances: chain });
}

// ---- Failover ----------------------------------------------------------------------------------

/**
 * Each stage's fallback chain as ProviderHealth follows it: names in order, the instances its
 * FallbackAdapter holds (which identify the provider in an availability event), and the adapter.
 */
export function stageChains(
  config: ProviderConfig,
  built: { stt: stt.STT; llm: llm.LLM; tts: tts.TTS },
): Record<ProviderStage, StageChain> {
  const chain = (names: readonly AnyProvider[], one: object, adapter: object | null, instances?: readonly object[]) =>
    adapter
      ? { names, instances: instances!, adapter: adapter as StageChain['adapter'] }
      : { names, instances: [one], adapter: null };
  const s = built.stt instanceof agentsStt.FallbackAdapter ? built.stt : null;
  const l = built.llm instanceof agentsLlm.FallbackAdapter ? built.llm : null;
  const t = built.tts instanceof agentsTts.FallbackAdapter ? built.tts : null;
  return {
    stt: chain(sttChain(config), built.stt, s, s?.sttInstances),
    llm: chain(llmChain(config), built.llm, l, l?.llms),
    tts: chain(ttsChain(config), built.tts, t, t?.ttsInstances),
  };
}
