import { ConnectionState } from 'livekit-client';
import { RoomAudioRenderer, RoomContext, StartAudio } from '@livekit/components-react';
import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { getProviders } from '../api/me';
import { Alert } from '../components/Alert';
import { endReasonText } from '../lib/end-reasons';
import { usePageTitle } from '../lib/usePageTitle';
import { TranscriptView } from '../transcript/TranscriptView';
import { useTranscriptSocket } from '../transcript/useTranscriptSocket';
import { AgentPanel } from './AgentPanel';
import { CallControls } from './CallControls';
import { useCall } from './useCall';
import { setActiveCall } from './activeCall';
import '../styles/call.css';

export default function CallPage({ guest }: { guest: boolean }) {
  usePageTitle(guest ? 'Guest call' : 'Call');
  const call = useCall();
  const conversationId = call.grant?.conversationId ?? null;
  const { transcript, status: socketStatus, serverError } = useTranscriptSocket(conversationId);
  const inCall = call.phase === 'live' || call.phase === 'starting';
  const speechMissing = useSpeechMissing(transcript.ended && transcript.endReason === 'speech_unavailable');
  // The header's "call in progress" badge, for as long as the call is up.
  useEffect(() => {
    setActiveCall(inCall ? { path: guest ? '/guest' : '/call' } : null);
    return () => setActiveCall(null);
  }, [inCall, guest]);
  const { end } = call;
  // The agent cannot hear or speak and has left: hang up rather than leave the caller talking to no one.
  useEffect(() => {
    if (speechMissing && inCall) void end();
  }, [speechMissing, inCall, end]);

  return (
    <div className="call-page">
      <div className="call-head">
        <h1>{guest ? 'Guest call' : 'Call Parley'}</h1>
        {guest && (
          <p className="muted small">Guest calls are not saved. Nothing you say here appears in any history.</p>
        )}
      </div>

      {speechMissing && (
        <Alert tone="error" title="Parley cannot hear or speak on this server">
          {speechMissing.length > 0
            ? speechMissing.map((m) => <p key={m}>{m.charAt(0).toUpperCase() + m.slice(1)}.</p>)
            : `${endReasonText('speech_unavailable')}.`}
        </Alert>
      )}
      {call.problem && (
        <Alert tone="error" title={call.problem.title}>
          {call.problem.message}
        </Alert>
      )}
      {call.connection === ConnectionState.Reconnecting && (
        <Alert tone="warning" title="Connection lost">
          Reconnecting to the call… Keep this page open.
        </Alert>
      )}
      {call.justReconnected && call.connection === ConnectionState.Connected && (
        <Alert tone="success" title="Reconnected">
          You’re back in the call.
        </Alert>
      )}
      {inCall && transcript.agentReconnecting && !transcript.ended && (
        <Alert tone="warning" title="Agent lost">
          Reconnecting the agent… It will pick up where you left off.
        </Alert>
      )}
      {conversationId && socketStatus === 'reconnecting' && !transcript.ended && (
        <Alert tone="info" title="Live transcript interrupted">
          Reconnecting to the transcript… Anything said meanwhile will appear once it’s back.
        </Alert>
      )}
      {serverError && (
        <Alert tone="warning" title="Transcript unavailable">
          {serverError}
        </Alert>
      )}

      <div className="call-grid">
        <section className="call-stage card" aria-labelledby="agent-heading">
          <h2 id="agent-heading" className="visually-hidden">
            Agent
          </h2>
          {call.room && inCall ? (
            <RoomContext.Provider value={call.room}>
              <AgentPanel fallbackState={transcript.agentState} />
              <CallControls onEnd={call.end} ready={call.phase === 'live'} />
              <RoomAudioRenderer />
              <StartAudio label="Allow audio playback" className="button" />
            </RoomContext.Provider>
          ) : (
            <StartOrEnded
              call={call}
              guest={guest}
              conversationId={conversationId}
              endReason={transcript.ended ? transcript.endReason : null}
            />
          )}
        </section>

        <section className="call-transcript card" aria-labelledby="transcript-heading">
          <h2 id="transcript-heading">Transcript</h2>
          <TranscriptView
            transcript={transcript}
            emptyText={
              conversationId
                ? 'Say hello — your words appear here as you speak.'
                : 'The conversation will appear here once the call starts.'
            }
          />
        </section>
      </div>
    </div>
  );
}

function StartOrEnded({
  call,
  guest,
  conversationId,
  endReason,
}: {
  call: ReturnType<typeof useCall>;
  guest: boolean;
  conversationId: string | null;
  endReason: string | null;
}) {
  if (call.phase === 'ended') {
    const why = endReasonText(endReason);
    return (
      <div className="call-idle">
        <p className="call-status" role="status">
          {why ? `Call ended — ${why}.` : 'Call ended.'}
        </p>
        <div className="button-row">
          <button type="button" className="button button-primary" onClick={() => void call.start()}>
            Start a new call
          </button>
          {!guest && conversationId && (
            <Link className="button" to={`/history/${conversationId}`}>
              Open in history
            </Link>
          )}
          {guest && (
            <Link className="button" to="/signup">
              Create an account to keep calls
            </Link>
          )}
        </div>
      </div>
    );
  }
  const starting = call.phase === 'starting';
  return (
    <div className="call-idle">
      <div className="mic-orb" aria-hidden="true" />
      <p className="muted">
        Parley listens through your microphone and answers out loud. Use headphones for the best experience.
      </p>
      <button
        type="button"
        className="button button-primary button-large"
        onClick={() => void call.start()}
        disabled={starting}
        aria-busy={starting}
      >
        {starting ? 'Connecting…' : 'Start call'}
      </button>
    </div>
  );
}

/** When the agent ended the call for missing speech engines: what is missing, from the server (null otherwise). */
function useSpeechMissing(ended: boolean): string[] | null {
  const [lines, setLines] = useState<string[] | null>(null);
  useEffect(() => {
    if (!ended) return setLines(null);
    let live = true;
    setLines([]);
    getProviders()
      .then((p) => {
        if (live && Array.isArray(p?.unavailable)) setLines(p.unavailable);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [ended]);
  return lines;
}
