import { metrics } from '@livekit/agents';
import type { ProviderStage, UsageLine, UsageReport } from '@parley/protocol';
import type { StageChain } from '../providers/health';

type Named = { provider?: string; model?: string };

export type ProviderNamer = (
  stage: ProviderStage,
  provider: string,
  model: string,
) => { provider: string; model: string };

/**
 * Parley's name for the provider a metric came from, and its model. @livekit/agents labels metrics
 * with the plugin's own provider string (`Deepgram`, `Cartesia`, the OpenAI client's host), so the
 * instance of the stage's fallback chain with that provider and model gives the name (the first of
 * the chain when none matches). Some metrics come without a model name (the Cartesia plugin's
 * streams): the matched instance's model fills it in.
 */
export function providerNamer(chains: Record<ProviderStage, StageChain>): ProviderNamer {
  return (stage, provider, model) => {
    const chain = chains[stage];
    const instances = chain.instances as readonly Named[];
    let i = instances.findIndex((x) => x.provider === provider && x.model === model);
    if (i < 0) i = instances.findIndex((x) => x.provider === provider);
    const at = Math.max(0, i);
    return {
      provider: String(chain.names[at] ?? 'unknown'),
      model: (model || instances[at]?.model || 'unknown').slice(0, 128),
    };
  };
}

/**
 * Labels of the stages' FallbackAdapters. agents 1.8.1's TTS FallbackAdapter forwards its
 * providers' metrics and also emits its own for the same speech (labelled `tts.FallbackAdapter`,
 * provider and model `unknown`): counting both would double the characters, so the adapter's own
 * are left out.
 */
export function adapterLabels(chains: Record<ProviderStage, StageChain>): Set<string> {
  const labels = new Set<string>();
  for (const chain of Object.values(chains)) {
    const label = (chain.adapter as { label?: unknown } | null)?.label;
    if (typeof label === 'string') labels.add(label);
  }
  return labels;
}

/**
 * One job's provider usage for its call: agents' own ModelUsageCollector (per provider and model)
 * fed from the session's metrics_collected events, turned into the contract's UsageLines. Reported
 * as running totals under the job's id (protocol/src/usage.ts), so a retried or repeated report
 * counts once.
 */
export class CallUsage {
  readonly #collector = new metrics.ModelUsageCollector();
  #changed = false;

  constructor(
    readonly reportId: string,
    private readonly name: ProviderNamer,
    /** Metrics with these labels are not counted (see adapterLabels). */
    private readonly skipLabels: ReadonlySet<string> = new Set(),
  ) {}

  /** Whether a metric is counted as usage (the others are a FallbackAdapter's echo of its provider's). */
  counts(m: metrics.AgentMetrics): boolean {
    if (m.type !== 'llm_metrics' && m.type !== 'stt_metrics' && m.type !== 'tts_metrics') return false;
    return !this.skipLabels.has(m.label);
  }

  collect(m: metrics.AgentMetrics): void {
    if (!this.counts(m)) return;
    this.#collector.collect(m);
    this.#changed = true;
  }

  /** New usage since the last report. */
  get changed(): boolean {
    return this.#changed;
  }

  report(): UsageReport {
    this.#changed = false;
    const lines: UsageLine[] = [];
    const line = (stage: ProviderStage, u: { provider: string; model: string }) => ({
      stage,
      ...this.name(stage, u.provider, u.model),
      sttAudioSeconds: 0,
      llmPromptTokens: 0,
      llmCachedPromptTokens: 0,
      llmCompletionTokens: 0,
      ttsCharacters: 0,
    });
    for (const u of this.#collector.flatten()) {
      if (u.type === 'stt_usage' && u.audioDurationMs > 0)
        lines.push({ ...line('stt', u), sttAudioSeconds: Math.round(u.audioDurationMs) / 1000 });
      else if (u.type === 'llm_usage' && u.inputTokens + u.outputTokens > 0)
        lines.push({
          ...line('llm', u),
          llmPromptTokens: u.inputTokens,
          llmCachedPromptTokens: u.inputCachedTokens,
          llmCompletionTokens: u.outputTokens,
        });
      else if (u.type === 'tts_usage' && u.charactersCount > 0)
        lines.push({ ...line('tts', u), ttsCharacters: u.charactersCount });
    }
    return { reportId: this.reportId, lines: mergeLines(lines) };
  }
}

/** Two plugin labels that map to the same Parley provider and model make one line. */
function mergeLines(lines: UsageLine[]): UsageLine[] {
  const byKey = new Map<string, UsageLine>();
  for (const l of lines) {
    const key = `${l.stage}/${l.provider}/${l.model}`;
    const prev = byKey.get(key);
    byKey.set(
      key,
      prev
        ? {
            ...prev,
            sttAudioSeconds: Math.round((prev.sttAudioSeconds + l.sttAudioSeconds) * 1000) / 1000,
            llmPromptTokens: prev.llmPromptTokens + l.llmPromptTokens,
            llmCachedPromptTokens: prev.llmCachedPromptTokens + l.llmCachedPromptTokens,
            llmCompletionTokens: prev.llmCompletionTokens + l.llmCompletionTokens,
            ttsCharacters: prev.ttsCharacters + l.ttsCharacters,
          }
        : l,
    );
  }
  return [...byKey.values()].slice(0, 30);
}
