import type { metrics } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { UsageReport } from '@parley/protocol';
import type { StageChain } from '../providers/health';
import { adapterLabels, CallUsage, providerNamer } from './usage';

const chain = (names: string[], instances: Array<{ provider: string; model: string }>): StageChain =>
  ({ names, instances, adapter: null }) as unknown as StageChain;

const chains = {
  stt: chain(['deepgram'], [{ provider: 'Deepgram', model: 'nova-3' }]),
  // Two OpenAI-compatible LLMs in a fallback chain: told apart by provider string (their hosts).
  llm: chain(
    ['openai', 'openai-compatible'],
    [
      { provider: 'api.openai.com', model: 'gpt-4.1-mini' },
      { provider: '10.0.0.5:8000', model: 'llama3.2' },
    ],
  ),
  tts: chain(['cartesia'], [{ provider: 'Cartesia', model: 'sonic-2' }]),
};

const meta = (modelProvider: string, modelName: string) => ({ metadata: { modelProvider, modelName } });
const llm = (p: string, m: string, prompt: number, cached: number, completion: number) =>
  ({
    type: 'llm_metrics',
    promptTokens: prompt,
    promptCachedTokens: cached,
    completionTokens: completion,
    ...meta(p, m),
  }) as unknown as metrics.AgentMetrics;

describe('CallUsage', () => {
  it("sums the session's metrics per provider and model under Parley's provider names", () => {
    const usage = new CallUsage('job-1', providerNamer(chains));
    expect(usage.changed).toBe(false);
    usage.collect(llm('api.openai.com', 'gpt-4.1-mini', 100, 20, 10));
    usage.collect(llm('api.openai.com', 'gpt-4.1-mini', 150, 0, 12));
    usage.collect(llm('10.0.0.5:8000', 'llama3.2', 40, 0, 4));
    usage.collect({ type: 'stt_metrics', audioDurationMs: 5000, ...meta('Deepgram', 'nova-3') } as never);
    usage.collect({ type: 'stt_metrics', audioDurationMs: 1234, ...meta('Deepgram', 'nova-3') } as never);
    usage.collect({ type: 'tts_metrics', charactersCount: 31, ...meta('Cartesia', 'sonic-2') } as never);
    usage.collect({ type: 'vad_metrics', idleTimeMs: 5 } as never);
    expect(usage.changed).toBe(true);
    const report = UsageReport.parse(usage.report());
    expect(usage.changed).toBe(false);
    expect(report.reportId).toBe('job-1');
    const by = Object.fromEntries(report.lines.map((l) => [`${l.stage}/${l.provider}/${l.model}`, l]));
    expect(Object.keys(by).sort()).toEqual([
      'llm/openai-compatible/llama3.2',
      'llm/openai/gpt-4.1-mini',
      'stt/deepgram/nova-3',
      'tts/cartesia/sonic-2',
    ]);
    expect(by['llm/openai/gpt-4.1-mini']).toMatchObject({
      llmPromptTokens: 250,
      llmCachedPromptTokens: 20,
      llmCompletionTokens: 22,
    });
    expect(by['stt/deepgram/nova-3']!.sttAudioSeconds).toBe(6.234);
    expect(by['tts/cartesia/sonic-2']!.ttsCharacters).toBe(31);
    // Running totals: the next report holds everything so far.
    usage.collect({ type: 'tts_metrics', charactersCount: 9, ...meta('Cartesia', 'sonic-2') } as never);
    const next = usage.report().lines.find((l) => l.stage === 'tts');
    expect(next?.ttsCharacters).toBe(40);
  });

  it("names a provider string the chain does not know after the stage's first provider, and fills in a missing model", () => {
    const name = providerNamer(chains);
    expect(name('tts', 'SomethingElse', 'x')).toEqual({ provider: 'cartesia', model: 'x' });
    expect(name('llm', '10.0.0.5:8000', 'other-model')).toEqual({
      provider: 'openai-compatible',
      model: 'other-model',
    });
    expect(name('tts', 'Cartesia', '')).toEqual({ provider: 'cartesia', model: 'sonic-2' });
    const usage = new CallUsage('job', name);
    usage.collect({ type: 'tts_metrics', charactersCount: 5, ...meta('Cartesia', 'sonic-2') } as never);
    usage.collect({ type: 'tts_metrics', charactersCount: 7, ...meta('Cartesia', '') } as never);
    expect(usage.report().lines).toEqual([expect.objectContaining({ model: 'sonic-2', ttsCharacters: 12 })]);
  });
});

it("leaves out a FallbackAdapter's own metrics (it also forwards its provider's for the same speech)", () => {
  const withAdapter = { ...chains, tts: { ...chains.tts, adapter: { label: 'tts.FallbackAdapter', on: () => 0 } } };
  const usage = new CallUsage('job', providerNamer(withAdapter), adapterLabels(withAdapter));
  const spoken = { type: 'tts_metrics', charactersCount: 20 } as const;
  usage.collect({ ...spoken, label: 'cartesia.TTS', ...meta('Cartesia', 'sonic-2') } as never);
  usage.collect({ ...spoken, label: 'tts.FallbackAdapter', ...meta('unknown', 'unknown') } as never);
  expect(usage.report().lines).toEqual([expect.objectContaining({ provider: 'cartesia', ttsCharacters: 20 })]);
});
