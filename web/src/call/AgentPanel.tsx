import type { AgentState as ProtocolAgentState } from '@parley/protocol';
import { BarVisualizer, useVoiceAssistant } from '@livekit/components-react';
import { useEffect, useState } from 'react';

const STATE_TEXT: Record<string, string> = {
  disconnected: 'Waiting for the agent…',
  connecting: 'Waiting for the agent…',
  'pre-connect-buffering': 'Waiting for the agent…',
  initializing: 'The agent is getting ready…',
  idle: 'Ready',
  listening: 'Listening',
  thinking: 'Thinking…',
  speaking: 'Speaking',
  failed: 'The agent stopped working',
};

const AGENT_LATE_MS = 15_000;

/**
 * The agent's state from its `lk.agent.state` attribute (through useVoiceAssistant), with the
 * gateway's reported state as a fallback while the agent participant is not visible yet.
 */
export function AgentPanel({ fallbackState }: { fallbackState: ProtocolAgentState | null }) {
  const { state, audioTrack, agent } = useVoiceAssistant();
  const shown = agent ? state : (fallbackState ?? state);
  const [late, setLate] = useState(false);
  useEffect(() => {
    if (agent) {
      setLate(false);
      return;
    }
    const t = setTimeout(() => setLate(true), AGENT_LATE_MS);
    return () => clearTimeout(t);
  }, [agent]);

  return (
    <div className={`agent-panel agent-${shown}`}>
      <BarVisualizer
        state={state}
        track={audioTrack}
        barCount={7}
        className="agent-bars"
        options={{ minHeight: 12 }}
        aria-hidden="true"
      />
      <p className="agent-state" role="status" aria-live="polite">
        {STATE_TEXT[shown] ?? shown}
      </p>
      {late && !agent && (
        <p className="muted small" role="status">
          The agent hasn’t joined yet. It may be busy or not running; you can end the call and try again.
        </p>
      )}
    </div>
  );
}
