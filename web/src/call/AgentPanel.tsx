import type { AgentState as ProtocolAgentState } from '@parley/protocol';
import { BarVisualizer, useVoiceAssistant } from '@livekit/components-react';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

const STATE_KEY = {
  disconnected: 'agentState.waiting',
  connecting: 'agentState.waiting',
  'pre-connect-buffering': 'agentState.waiting',
  initializing: 'agentState.initializing',
  idle: 'agentState.idle',
  listening: 'agentState.listening',
  thinking: 'agentState.thinking',
  speaking: 'agentState.speaking',
  failed: 'agentState.failed',
} as const;

const AGENT_LATE_MS = 15_000;

/**
 * The agent's state from its `lk.agent.state` attribute (through useVoiceAssistant), with the
 * gateway's reported state as a fallback while the agent participant is not visible yet.
 */
export function AgentPanel({
  fallbackState,
  ended = false,
}: {
  fallbackState: ProtocolAgentState | null;
  /** The server said the call is over: no agent state is shown any more (it would be stale). */
  ended?: boolean;
}) {
  const { t } = useTranslation();
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
    <div className={`agent-panel agent-${ended ? 'ended' : shown}`}>
      <BarVisualizer
        state={state}
        track={audioTrack}
        barCount={7}
        className="agent-bars"
        options={{ minHeight: 12 }}
        aria-hidden="true"
      />
      <p className="agent-state" role="status" aria-live="polite">
        {ended ? t('agentState.ended') : shown in STATE_KEY ? t(STATE_KEY[shown as keyof typeof STATE_KEY]) : shown}
      </p>
      {late && !agent && !ended && (
        <p className="muted small" role="status">
          {t('agentState.late')}
        </p>
      )}
    </div>
  );
}
