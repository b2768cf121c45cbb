import type { AgentServer } from '@livekit/agents';
import type { AgentConfig } from './config';
import { postSigned } from './reporting/gateway-client';

const INTERVAL_MS = 5000;

/**
 * Tells the gateway this worker is registered with LiveKit (for /readyz) and which providers it
 * runs. Failures are ignored: the gateway may simply not be up yet.
 */
export function startHeartbeat(server: AgentServer, config: AgentConfig): () => void {
  const beat = () =>
    postSigned(config.gateway, '/internal/agents/heartbeat', {
      workerId: server.id,
      agentName: config.agentName,
      registered: server.id !== 'unregistered',
      activeJobs: server.activeJobs.length,
      providers: config.providers,
    }).catch(() => undefined);
  server.event.on('worker_registered', () => void beat());
  const timer = setInterval(beat, INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
