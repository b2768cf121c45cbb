import { lazy, Suspense, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { formatTimer } from '../lib/format';
import { getProviders, type ActiveProviders } from '../api/me';
import { Alert } from '../components/Alert';
import { speechMissingSentences } from '../components/ProvidersBanner';
import { Loading } from '../components/Loading';
import { endReasonText } from '../lib/end-reasons';
import { usePageTitle } from '../lib/usePageTitle';
import { TranscriptView } from '../transcript/TranscriptView';
import { useTranscriptSocket } from '../transcript/useTranscriptSocket';
import { loadLivekit, useCall } from './useCall';
import { useAskBeforeLeaving } from './useAskBeforeLeaving';
import { setActiveCall } from './activeCall';
import '../styles/call.css';

// What needs a LiveKit room loads with the call (livekit-client is most of this page's weight); the
// start button fetches it early when pointed at or focused.
const loadLive = () => import('./LiveCall');
const LiveStage = lazy(() => loadLive().then((m) => ({ default: m.LiveStage })));
const LiveTyped = lazy(() => loadLive().then((m) => ({ default: m.LiveTyped })));
const prefetchCall = () => void Promise.all([loadLivekit(), loadLive()]).catch(() => undefined);

export default function CallPage({ guest }: { guest: boolean }) {
  const { t } = useTranslation();
  usePageTitle(guest ? t('call.titleGuest') : t('call.pageTitle'));
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
  // The server ended the call (agent gone, limit reached, room closed): hang up too, so the page shows
  // why and what next instead of a live panel with a stale agent state.
  const serverEnded = transcript.ended && transcript.endReason !== 'caller_left';
  useEffect(() => {
    if (serverEnded && inCall) void end();
  }, [serverEnded, inCall, end]);
  // Leaving the page (reload, close, another site, another page of the app) during a call asks first.
  useAskBeforeLeaving(inCall, t('call.leaveConfirm'));
  // The agent cannot hear or speak and has left: hang up rather than leave the caller talking to no one.
  useEffect(() => {
    if (speechMissing && inCall) void end();
  }, [speechMissing, inCall, end]);

  return (
    <div className="call-page">
      <div className="call-head">
        <h1>{guest ? t('call.titleGuest') : t('call.titleUser')}</h1>
        {guest && <p className="muted small">{t('call.guestNote')}</p>}
      </div>

      {speechMissing && (
        <Alert tone="error" title={t('call.cannotSpeak')}>
          {speechMissing.length > 0
            ? speechMissing.map((m) => <p key={m}>{m}</p>)
            : `${endReasonText('speech_unavailable')}.`}
        </Alert>
      )}
      {call.problem && (
        <Alert tone="error" title={call.problem.title}>
          {call.problem.message}
        </Alert>
      )}
      {call.connection === 'reconnecting' && (
        <Alert tone="warning" title={t('call.connectionLost')}>
          {t('call.reconnecting')}
        </Alert>
      )}
      {call.justReconnected && call.connection === 'connected' && (
        <Alert tone="success" title={t('call.reconnected')}>
          {t('call.backInCall')}
        </Alert>
      )}
      {inCall && transcript.agentReconnecting && !transcript.ended && (
        <Alert tone="warning" title={t('call.agentLost')}>
          {t('call.agentReconnecting')}
        </Alert>
      )}
      {conversationId && socketStatus === 'reconnecting' && !transcript.ended && (
        <Alert tone="info" title={t('call.transcriptInterrupted')}>
          {t('call.transcriptReconnecting')}
        </Alert>
      )}
      {serverError && (
        <Alert tone="warning" title={t('call.transcriptUnavailable')}>
          {serverError}
        </Alert>
      )}

      <div className="call-grid">
        <section className="call-stage card" aria-labelledby="agent-heading">
          <h2 id="agent-heading" className="visually-hidden">
            {t('call.agent')}
          </h2>
          {call.room && inCall ? (
            <Suspense fallback={<Loading />}>
              <LiveStage
                room={call.room}
                agentState={transcript.agentState}
                ended={transcript.ended}
                live={call.phase === 'live'}
                onEnd={call.end}
                timer={<CallTimer running={call.phase === 'live'} />}
              />
            </Suspense>
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
          <h2 id="transcript-heading">{t('call.transcript')}</h2>
          <TranscriptView
            transcript={transcript}
            emptyText={conversationId ? t('call.emptyLive') : t('call.emptyIdle')}
          />
          {call.room && inCall && (
            <Suspense fallback={null}>
              <LiveTyped room={call.room} live={call.phase === 'live'} />
            </Suspense>
          )}
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
  const { t } = useTranslation();
  if (call.phase === 'ended') {
    const why = endReasonText(endReason);
    // The next step, when the server (not the caller) ended the call.
    const byServer = endReason !== null && endReason !== 'caller_left';
    const next = !byServer
      ? null
      : endReason === 'agent_failed' && !guest
        ? t('call.nextStepAgentFailed')
        : guest
          ? t('call.nextStepGuest')
          : t('call.nextStep');
    return (
      <div className="call-idle">
        <p className="call-status" role="status">
          {why ? t('call.endedWhy', { reason: why }) : t('call.ended')}
        </p>
        {next && (
          <p className="muted" data-testid="call-next-step">
            {next}
          </p>
        )}
        <div className="button-row">
          <button
            type="button"
            className="button button-primary"
            onClick={() => {
              prefetchCall();
              void call.start();
            }}
          >
            {t('call.startNew')}
          </button>
          {!guest && conversationId && (
            <Link className="button" to={`/history/${conversationId}`}>
              {t('call.openHistory')}
            </Link>
          )}
          {guest && (
            <Link className="button" to="/signup">
              {t('call.keepCalls')}
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
      <p className="muted">{t('call.intro')}</p>
      <button
        type="button"
        className="button button-primary button-large"
        onClick={() => {
          prefetchCall();
          void call.start();
        }}
        onPointerEnter={prefetchCall}
        onFocus={prefetchCall}
        disabled={starting}
        aria-busy={starting}
      >
        {starting ? t('call.connecting') : t('call.start')}
      </button>
    </div>
  );
}

/** When the agent ended the call for missing speech engines: what is missing, in the UI language (null otherwise). */
function useSpeechMissing(ended: boolean): string[] | null {
  const { t } = useTranslation();
  const [providers, setProviders] = useState<ActiveProviders | null>(null);
  useEffect(() => {
    if (!ended) return setProviders(null);
    let live = true;
    getProviders()
      .then((p) => {
        if (live && p && typeof p === 'object') setProviders(p);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [ended]);
  if (!ended) return null;
  return providers ? speechMissingSentences(providers, t) : [];
}

/** Time since the call went live, ticking each second. */
function CallTimer({ running }: { running: boolean }) {
  const { t } = useTranslation();
  const [since, setSince] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const start = Date.now();
    setSince(start);
    setNow(start);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, [running]);
  if (since === null) return null;
  return (
    <p className="call-timer" data-testid="call-timer">
      <span className="visually-hidden">{t('call.timer')}: </span>
      <time dateTime={`PT${Math.floor((now - since) / 1000)}S`}>{formatTimer(now - since)}</time>
    </p>
  );
}
