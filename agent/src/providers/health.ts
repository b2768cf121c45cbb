import type { AnyProvider, ProviderStage, TurnMetrics } from '@parley/protocol';

/** What an @livekit/agents FallbackAdapter emits when a provider fails or recovers. */
const AVAILABILITY_EVENTS: Record<ProviderStage, string> = {
  stt: 'stt_availability_changed',
  llm: 'llm_availability_changed',
  tts: 'tts_availability_changed',
};

/** One stage's providers in fallback order: their names and the plugin instances the adapter holds. */
export interface StageChain {
  names: readonly AnyProvider[];
  instances: readonly object[];
  /** The FallbackAdapter (null when the stage has one provider). */
  adapter: { on(event: string, listener: (ev: Record<string, unknown>) => void): unknown } | null;
}

export interface ProviderStatusChange {
  stage: ProviderStage;
  provider: AnyProvider;
  available: boolean;
  /** The provider serving the stage now (null when none is left). */
  serving: AnyProvider | null;
}

/**
 * Which provider serves each stage of a call, from the FallbackAdapters' availability events.
 *
 * A failure counts at once (the adapter moves on to the next provider for the work in flight); a
 * recovery counts only from the next turn of that stage, because the adapter probes a failed
 * provider in the background and may see it recover while the fallback is still serving the turn
 * (one-shot faults recover within milliseconds). So a turn is attributed to the provider that
 * really answered it. Every change is passed on at once (the gateway's /readyz and banner).
 */
export class ProviderHealth {
  #chains: Partial<Record<ProviderStage, StageChain>>;
  #down: Record<ProviderStage, Set<AnyProvider>> = { stt: new Set(), llm: new Set(), tts: new Set() };
  /** Recoveries seen during a turn, applied when the stage's turn is recorded. */
  #recovered: Record<ProviderStage, Set<AnyProvider>> = { stt: new Set(), llm: new Set(), tts: new Set() };

  constructor(
    chains: Partial<Record<ProviderStage, StageChain>>,
    private readonly onChange: (change: ProviderStatusChange) => void,
  ) {
    this.#chains = chains;
    for (const [stage, chain] of Object.entries(chains) as Array<[ProviderStage, StageChain]>) {
      chain.adapter?.on(AVAILABILITY_EVENTS[stage], (ev) => {
        const i = chain.instances.indexOf(ev[stage] as object);
        const provider = chain.names[i];
        if (provider === undefined || typeof ev.available !== 'boolean') return;
        this.#changed(stage, provider, ev.available);
      });
    }
  }

  #changed(stage: ProviderStage, provider: AnyProvider, available: boolean) {
    if (available) {
      if (!this.#down[stage].has(provider)) return;
      this.#recovered[stage].add(provider);
    } else {
      this.#recovered[stage].delete(provider);
      if (this.#down[stage].has(provider)) return;
      this.#down[stage].add(provider);
    }
    const down = new Set([...this.#down[stage]].filter((p) => !this.#recovered[stage].has(p)));
    const serving = this.#firstUp(stage, down);
    this.onChange({ stage, provider, available, serving });
  }

  #firstUp(stage: ProviderStage, down: ReadonlySet<AnyProvider>): AnyProvider | null {
    return this.#chains[stage]?.names.find((n) => !down.has(n)) ?? null;
  }

  /** The provider serving `stage` for the turn in flight. */
  serving(stage: ProviderStage): AnyProvider | null {
    return this.#firstUp(stage, this.#down[stage]) ?? this.#chains[stage]?.names[0] ?? null;
  }

  /**
   * Records a finished turn of these stages: returns who served each one, then lets providers
   * that recovered meanwhile serve the next turn.
   */
  turnServed(stages: readonly ProviderStage[]): NonNullable<TurnMetrics['servedBy']> {
    const served: Record<string, AnyProvider> = {};
    for (const stage of stages) {
      const p = this.serving(stage);
      if (p) served[stage] = p;
      for (const r of this.#recovered[stage]) this.#down[stage].delete(r);
      this.#recovered[stage].clear();
    }
    return served as NonNullable<TurnMetrics['servedBy']>;
  }
}
