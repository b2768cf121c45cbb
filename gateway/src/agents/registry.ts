import { speechProblemMessages, type AgentHeartbeat } from '@parley/protocol';
import type { KeyValue } from '../infra/kv';

const TTL_MS = 15_000;
/** A worker's last job list outlives a gateway outage, so jobs that died meanwhile are still noticed. */
const JOBS_TTL_MS = 10 * 60_000;

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
}
