import { initializeLogger, llm, stt, tts } from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import * as openai from '@livekit/agents-plugin-openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, ProviderEnv, resolveProviders } from '@parley/protocol';
import {
  cartesiaVoice,
  createLlm,
  createStt,
  createTts,
  deepgramLanguage,
  llmChain,
  openaiVoice,
  sttChain,
  ttsChain,
} from './index';

function configFrom(vars: Record<string, string>) {
  const providerEnv = ProviderEnv.parse(vars);
  return { providers: resolveProviders(providerEnv), providerEnv };
}

const CARTESIA_ID = 'a0e99841-438c-4a64-b679-ae501e7d6091';

describe('provider registry', () => {
  beforeAll(() => initializeLogger({ pretty: false, level: 'warn' }));

  it('builds one plugin per kind when one provider of each is configured', () => {
    const c = configFrom({
      DEEPGRAM_API_KEY: 'k',
      DEEPGRAM_BASE_URL: 'ws://127.0.0.1:1',
      XAI_API_KEY: 'x',
      CARTESIA_API_KEY: 'c',
    });
    expect(sttChain(c)).toEqual(['deepgram']);
    expect(createStt(c, DEFAULT_PREFERENCES)).toBeInstanceOf(deepgram.STT);
    expect(llmChain(c)).toEqual(['xai']);
    expect(createLlm(c, DEFAULT_PREFERENCES)).toBeInstanceOf(openai.LLM);
    expect(createTts(c, DEFAULT_PREFERENCES)).toBeInstanceOf(cartesia.TTS);
    // The turn benchmark's one-provider configuration: an OpenAI-compatible LLM and no OpenAI key.
    const single = configFrom({
      DEEPGRAM_API_KEY: 'k',
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: 'http://127.0.0.1:1/v1',
      LLM_MODEL: 'gpt-4.1-mini',
      CARTESIA_API_KEY: 'c',
    });
    expect([sttChain(single), llmChain(single), ttsChain(single)]).toEqual([
      ['deepgram'],
      ['openai-compatible'],
      ['cartesia'],
    ]);
    expect(createStt(single, DEFAULT_PREFERENCES)).toBeInstanceOf(deepgram.STT);
    expect(createLlm(single, DEFAULT_PREFERENCES)).toBeInstanceOf(openai.LLM);
    expect(createTts(single, DEFAULT_PREFERENCES)).toBeInstanceOf(cartesia.TTS);
  });

  it('wraps two configured providers of a kind in the FallbackAdapter, the chosen one first', () => {
    const c = configFrom({
      DEEPGRAM_API_KEY: 'k',
      OPENAI_API_KEY: 'o',
      CARTESIA_API_KEY: 'c',
      LLM_BASE_URL: 'http://127.0.0.1:1/v1',
    });
    expect(sttChain(c)).toEqual(['deepgram', 'openai']);
    expect(llmChain(c)).toEqual(['openai', 'openai-compatible']);
    expect(ttsChain(c)).toEqual(['cartesia', 'openai']);
    const s = createStt(c, DEFAULT_PREFERENCES);
    expect(s).toBeInstanceOf(stt.FallbackAdapter);
    expect((s as stt.FallbackAdapter).sttInstances[0]).toBeInstanceOf(deepgram.STT);
    const l = createLlm(c, DEFAULT_PREFERENCES);
    expect(l).toBeInstanceOf(llm.FallbackAdapter);
    expect((l as llm.FallbackAdapter).llms).toHaveLength(2);
    const t = createTts(c, { ...DEFAULT_PREFERENCES, ttsVoice: CARTESIA_ID });
    expect(t).toBeInstanceOf(tts.FallbackAdapter);
    expect((t as tts.FallbackAdapter).ttsInstances[1]).toBeInstanceOf(openai.TTS);
  });

  it('uses local providers when nothing is configured, with no fallback chain', () => {
    const c = configFrom({});
    expect([sttChain(c), llmChain(c), ttsChain(c)]).toEqual([['local'], ['offline'], ['local']]);
  });

  it('maps languages and checks voices against the provider catalogue', () => {
    const env = ProviderEnv.parse({});
    expect(deepgramLanguage('es')).toBe('es');
    expect(deepgramLanguage('en')).toBe('en-US');
    expect(cartesiaVoice(env, CARTESIA_ID)).toBe(CARTESIA_ID);
    expect(cartesiaVoice(env, 'nova')).toBe(env.CARTESIA_VOICE);
    expect(cartesiaVoice(env, null)).toBe(env.CARTESIA_VOICE);
    expect(openaiVoice(env, 'nova')).toBe('nova');
    expect(openaiVoice(env, CARTESIA_ID)).toBe(env.OPENAI_TTS_VOICE);
  });
});
