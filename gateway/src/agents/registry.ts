import { z } from 'zod';
import { SpeechEngineProblems, speechProblemMessages } from '@parley/protocol';
import type { KeyValue } from '../infra/kv';

export const AgentHeartbeat = z.object({
  workerId: z.string().min(1).max(128),
  agentName: z.string().min(1).max(128),
  registered: z.boolean(),
  activeJobs: z.number().int().min(0),
  providers: z.object({ stt: z.string(), llm: z.string(), tts: z.string(), llmModel: z.string() }),
  /** Local speech engines the worker's providers need but cannot run (older workers omit it). */
  speech: SpeechEngineProblems.optional(),
});
export type AgentHeartbeat = z.infer<typeof AgentHeartbeat>;

const TTL_MS = 15_000;

/** Agent workers report in every few seconds; a worker not heard from for 15 s counts as gone. */
export class AgentRegistry {
  constructor(private kv: KeyValue) {}
  async record(hb: AgentHeartbeat) {
    await this.kv.set(`agent:last`, JSON.stringify({ ...hb, at: Date.now() }), TTL_MS);
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
}
