import {
  LlmProvider,
  SttProvider,
  TtsProvider,
  speechProblemMessages,
  type AgentHeartbeat,
  type AnyProvider,
  type DegradedProvider,
  type MissingSpeechEngine,
  type ProviderStage,
} from '@parley/protocol';
import type { KeyValue } from '../infra/kv';

const TTL_MS = 15_000;
/** A worker's last job list outlives a gateway outage, so jobs that died meanwhile are still noticed. */
const JOBS_TTL_MS = 10 * 60_000;
/**
 * A provider a call saw fail stays reported as degraded this long unless a call sees it recover
 * (its FallbackAdapter probes it in the background): with no call running nobody tries it.
 */
const DEGRADED_TTL_MS = 15 * 60_000;
const STAGE_PROVIDERS: Record<ProviderStage, readonly AnyProvider[]> = {
  stt: SttProvider.options,
  llm: LlmProvider.options,
  tts: TtsProvider.options,
};
const degradedKey = (stage: ProviderStage, provider: AnyProvider) => `provider-degraded:${stage}:${provider}`;

/** Agent workers report in every few seconds; a worker not heard from for 15 s counts as gone. */
export class AgentRegistry {
  constructor(private kv: KeyValue) {}
  /** Records a heartbeat; returns the jobs this worker listed last time and no longer runs. */
  async record(hb: AgentHeartbeat): Promise<AgentHeartbeat['jobs']> {
    await this.kv.set(`agent:last`, JSON.stringify({ ...hb, at: Date.now() }), TTL_MS);
    const key = `agentjobs:${hb.workerId}`;
    const before = await this.kv.get(key);
    await this.kv.set(key, JSON.stringify(hb.jobs), JOBS_TTL_MS);
    const previous: AgentHeartbeat['jobs'] = before ? JSON.parse(before) : [];
    const now = new Set(hb.jobs.map((j) => j.id));
    return previous.filter((j) => !now.has(j.id));
  }
  async latest(): Promise<(AgentHeartbeat & { at: number }) | null> {
    const raw = await this.kv.get('agent:last');
    return raw ? JSON.parse(raw) : null;
  }
  /**
   * Why the latest worker cannot hear or speak ("speech recognition is not installed on the
   * server: …"); empty when it can, or when no worker has reported (readiness says that instead).
   */
  async speechProblems(): Promise<string[]> {
    return speechProblemMessages((await this.latest())?.speech);
  }
  /** The same problems as data (stage, program or model, package), for the web client to word. */
  async missingSpeechEngines(): Promise<MissingSpeechEngine[]> {
    return (await this.latest())?.speech?.missing ?? [];
  }
  /** A call's agent saw a provider fail over (available false) or recover (true). */
  async providerStatus(s: {
    stage: ProviderStage;
    provider: AnyProvider;
    available: boolean;
    serving: AnyProvider | null;
  }): Promise<void> {
    const key = degradedKey(s.stage, s.provider);
    if (s.available) return this.kv.del(key);
    const before = await this.kv.get(key);
    const since = before ? (JSON.parse(before) as DegradedProvider).since : new Date().toISOString();
    const record: DegradedProvider = { stage: s.stage, provider: s.provider, fallback: s.serving, since };
    await this.kv.set(key, JSON.stringify(record), DEGRADED_TTL_MS);
  }
  /** Providers reported failing and not seen recovering since, stage by stage. */
  async degradedProviders(): Promise<DegradedProvider[]> {
    const keys = Object.entries(STAGE_PROVIDERS).flatMap(([stage, providers]) =>
      providers.map((p) => degradedKey(stage as ProviderStage, p)),
    );
    const values = await Promise.all(keys.map((k) => this.kv.get(k)));
    return values.flatMap((v) => (v ? [JSON.parse(v) as DegradedProvider] : []));
  }
}
