import type { AgentServer } from '@livekit/agents';
import type { AgentJob, SpeechEngineProblems } from '@parley/protocol';
import type { AgentConfig } from './config';
import { speechEngineProblems } from './providers/local/engines';
import { postSigned } from './reporting/gateway-client';

const INTERVAL_MS = 5000;
/** Engines are looked for again this often, so installing one while Parley runs is noticed. */
const PROBE_MS = 30_000;

/** How often the worker looks for a change in its jobs (a job process that died is reported at once). */
const JOBS_CHECK_MS = 500;

/** The jobs this worker runs now (heartbeat, and GET /jobs on the metrics port). */
export const runningJobs = (server: AgentServer): AgentJob[] =>
  server.activeJobs.flatMap((j) => (j.job.room?.name ? [{ id: j.job.id, room: j.job.room.name }] : []));

/**
 * Tells the gateway this worker is registered with LiveKit (for /readyz), which providers it runs,
 * which local speech engines those providers need but cannot run, and which jobs (rooms) it serves:
 * every INTERVAL_MS, and as soon as its set of jobs changes, so the gateway learns within a second
 * that a job process died mid-call and re-dispatches the call. Failures are ignored: the gateway
 * may simply not be up yet.
 */
export function startHeartbeat(server: AgentServer, config: AgentConfig): () => void {
  let speech: { at: number; problems: Promise<SpeechEngineProblems> } | undefined;
  const engines = () => {
    if (!speech || Date.now() - speech.at > PROBE_MS)
      speech = { at: Date.now(), problems: speechEngineProblems(config.providers) };
    return speech.problems;
  };
  const jobs = () => runningJobs(server);
  let lastJobs = '';
  const beat = async () => {
    const current = jobs();
    lastJobs = current.map((j) => j.id).join(',');
    return postSigned(config.gateway, '/internal/agents/heartbeat', {
      workerId: server.id,
      agentName: config.agentName,
      registered: server.id !== 'unregistered',
      activeJobs: server.activeJobs.length,
      providers: config.providers,
      speech: await engines(),
      jobs: current,
    }).catch(() => undefined);
  };
  server.event.on('worker_registered', () => void beat());
  void beat();
  const timer = setInterval(() => void beat(), INTERVAL_MS);
  const watch = setInterval(() => {
    if (
      jobs()
        .map((j) => j.id)
        .join(',') !== lastJobs
    )
      void beat();
  }, JOBS_CHECK_MS);
  timer.unref();
  watch.unref();
  return () => {
    clearInterval(timer);
    clearInterval(watch);
  };
}
