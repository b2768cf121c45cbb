import type { ReactNode } from 'react';
import type { Role } from '@parley/protocol';
import { useTranslation } from 'react-i18next';
import { formatClock } from '../lib/format';

/** What a finished turn shows, live or stored. */
export interface TurnContent {
  seq: number;
  role: Role;
  /** The language it was said in (the transcript's own `lang`). */
  language?: string;
  text: string;
  startedAt: string;
  interrupted?: boolean;
  /** Typed in the call's text box instead of said. */
  typed?: boolean;
}

/**
 * One finished turn: speaker, time, its tags (typed, interrupted) and words, in the turn's own
 * language; `children` follow the words (a stored turn's latency). The live transcript and the
 * stored conversation (history, shared link) both render turns with it.
 */
export function Turn({ turn: u, speaker, children }: { turn: TurnContent; speaker: string; children?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <li
      className={`turn turn-${u.role}`}
      data-seq={u.seq}
      data-typed={u.typed ? 'true' : undefined}
      lang={u.language || undefined}
    >
      <div className="turn-meta">
        <span className="speaker">{speaker}</span>
        <time dateTime={u.startedAt}>{formatClock(u.startedAt)}</time>
        {u.typed && <span className="tag tag-soft tag-typed">{t('typed.tag')}</span>}
        {u.interrupted && <span className="tag">{t('transcript.interrupted')}</span>}
      </div>
      <p className="turn-text">{u.text}</p>
      {children}
    </li>
  );
}
