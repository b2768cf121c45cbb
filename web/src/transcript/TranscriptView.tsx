import type { Role } from '@parley/protocol';
import { useCallback, useLayoutEffect, useRef, useState } from 'react';
import type { TranscriptState } from './state';
import { Turn } from './Turn';
import { useTranslation } from 'react-i18next';
import { i18n } from '../i18n';

/** The speakers' names in the UI language. */
export const speakerLabels = (): Record<Role, string> => ({
  user: i18n.t('transcript.you'),
  agent: i18n.t('transcript.agent'),
});

/** How close to the bottom (px) still counts as "following" the conversation. */
const FOLLOW_THRESHOLD_PX = 48;

interface Props {
  transcript: Pick<TranscriptState, 'utterances' | 'interims'>;
  labels?: Record<Role, string>;
  emptyText?: string;
}

/**
 * The live transcript: final turns in order, then at most one provisional line per speaker (italic,
 * dimmed, replaced when the final arrives). Follows new text until the reader scrolls up; then a
 * "Jump to latest" button brings them back.
 */
export function TranscriptView({ transcript, labels: given, emptyText: givenEmpty }: Props) {
  const { t } = useTranslation();
  const labels = given ?? speakerLabels();
  const emptyText = givenEmpty ?? t('call.emptyLive');
  const scrollRef = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);
  const [unseen, setUnseen] = useState(false);
  const { utterances, interims } = transcript;
  const interimList = (['user', 'agent'] as const).flatMap((role) => {
    const i = interims[role];
    return i ? [{ role, ...i }] : [];
  });
  const contentKey = `${utterances.length}:${utterances.at(-1)?.seq ?? -1}:${interimList.map((i) => i.text.length).join(',')}`;

  const scrollToEnd = useCallback(() => {
    const el = scrollRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, []);

  useLayoutEffect(() => {
    if (following) scrollToEnd();
    else setUnseen(true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [contentKey]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= FOLLOW_THRESHOLD_PX;
    setFollowing(atBottom);
    if (atBottom) setUnseen(false);
  };

  const jump = () => {
    scrollToEnd();
    setFollowing(true);
    setUnseen(false);
  };

  const empty = utterances.length === 0 && interimList.length === 0;

  return (
    <div className="transcript">
      <div
        className="transcript-scroll"
        ref={scrollRef}
        onScroll={onScroll}
        tabIndex={0}
        aria-label={t('transcript.label')}
        data-testid="transcript-scroll"
      >
        {empty && <p className="transcript-empty">{emptyText}</p>}
        {/* The live region wraps the list: an <ol> may not take the log role (axe's aria-allowed-role). */}
        <div role="log" aria-live="polite" aria-relevant="additions text">
          <ol className="turns">
            {utterances.map((u) => (
              <Turn key={u.seq} turn={u} speaker={labels[u.role]} />
            ))}
          </ol>
        </div>
        <div className="interims" aria-live="polite">
          {interimList.map((i) => (
            <div key={`${i.role}:${i.segmentId}`} className={`turn turn-${i.role} turn-interim`} data-interim={i.role}>
              <div className="turn-meta">
                <span className="speaker">{labels[i.role]}</span>
                <span className="tag tag-soft">
                  {i.role === 'user' ? t('transcript.listening') : t('transcript.speaking')}
                </span>
              </div>
              <p className="turn-text">
                <em>{i.text}</em>
              </p>
            </div>
          ))}
        </div>
      </div>
      {!following && (
        <button type="button" className="jump-latest" onClick={jump}>
          {unseen ? t('transcript.jumpNew') : t('transcript.jump')}
        </button>
      )}
    </div>
  );
}
