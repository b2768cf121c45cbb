import type { AgentServer } from '@livekit/agents';
import type { SpeechEngineProblems } from '@parley/protocol';
import type { AgentConfig } from './config';
import { speechEngineProblems } from './providers/local/engines';
import { postSigned } from './reporting/gateway-client';

const INTERVAL_MS = 5000;
/** Engines are looked for again this often, so installing one while Parley runs is noticed. */
const PROBE_MS = 30_000;

/**
 * Tells the gateway this worker is registered with LiveKit (for /readyz), which providers it runs
 * and which local speech engines those providers need but cannot run. Failures are ignored: the
 * gateway may simply not be up yet.
 */
export function startHeartbeat(server: AgentServer, config: AgentConfig): () => void {
  let speech: { at: number; problems: Promise<SpeechEngineProblems> } | undefined;
  const engines = () => {
    if (!speech || Date.now() - speech.at > PROBE_MS)
      speech = { at: Date.now(), problems: speechEngineProblems(config.providers) };
    return speech.problems;
  };
  const beat = async () =>
    postSigned(config.gateway, '/internal/agents/heartbeat', {
      workerId: server.id,
      agentName: config.agentName,
      registered: server.id !== 'unregistered',
      activeJobs: server.activeJobs.length,
      providers: config.providers,
      speech: await engines(),
    }).catch(() => undefined);
  server.event.on('worker_registered', () => void beat());
  void beat();
  const timer = setInterval(() => void beat(), INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
