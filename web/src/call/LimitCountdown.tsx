import { useVoiceAssistant } from '@livekit/components-react';
import { CALL_ENDS_AT_ATTRIBUTE, CALL_WARN_AT_ATTRIBUTE } from '@parley/protocol/call-limits';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Alert } from '../components/Alert';
import { formatTimer } from '../lib/format';

const instant = (v: string | undefined) => {
  const ms = v ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? ms : null;
};

/** The call's limit from the agent's attributes (protocol/src/call-limits.ts), counted down near the end. */
export function AgentLimitCountdown() {
  const { agentAttributes } = useVoiceAssistant();
  return (
    <LimitCountdown
      endsAt={instant(agentAttributes?.[CALL_ENDS_AT_ATTRIBUTE])}
      warnAt={instant(agentAttributes?.[CALL_WARN_AT_ATTRIBUTE])}
    />
  );
}

/**
 * From `warnAt` on, a warning with the time left until `endsAt`, when the agent ends the call
 * (limit_reached). The title is announced once; the ticking time is not read out every second.
 */
export function LimitCountdown({ endsAt, warnAt }: { endsAt: number | null; warnAt: number | null }) {
  const { t } = useTranslation();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (endsAt === null) return;
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, [endsAt]);
  if (endsAt === null || warnAt === null || now < warnAt) return null;
  const seconds = Math.ceil(Math.max(0, endsAt - now) / 1000);
  return (
    <div className="call-limit" data-testid="call-limit">
      <Alert tone="warning" title={t('call.limitSoonTitle')}>
        <span aria-live="off">{t('call.limitSoon', { time: formatTimer(seconds * 1000) })}</span>
      </Alert>
    </div>
  );
}
