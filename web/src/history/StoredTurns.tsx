import type { StoredUtterance } from '@parley/protocol';
import { formatClock } from '../lib/format';
import { useTranslation } from 'react-i18next';
import type { Role } from '@parley/protocol';
import { speakerLabels } from '../transcript/TranscriptView';
import { TurnLatency } from './TurnLatency';

/** One stored turn as the conversation page and a shared link both show it. */
export interface StoredTurn {
  seq: number;
  role: Role;
  language?: string;
  text: string;
  startedAt: string;
  interrupted?: boolean;
  /** Typed in the call's text box instead of said. */
  typed?: boolean;
  metrics?: StoredUtterance['metrics'];
}

/** A finished conversation's turns, oldest first, with each turn's latency when `showLatency`. */
export function StoredTurns({ utterances, showLatency }: { utterances: StoredTurn[]; showLatency: boolean }) {
  const { t } = useTranslation();
  if (utterances.length === 0) return <p className="empty">{t('transcript.nothingSaid')}</p>;
  const labels = speakerLabels();
  return (
    <ol className="turns turns-static">
      {utterances.map((u) => (
        <li
          key={u.seq}
          className={`turn turn-${u.role}`}
          data-typed={u.typed ? 'true' : undefined}
          lang={u.language || undefined}
        >
          <div className="turn-meta">
            <span className="speaker">{labels[u.role]}</span>
            <time dateTime={u.startedAt}>{formatClock(u.startedAt)}</time>
            {u.typed && <span className="tag tag-soft tag-typed">{t('typed.tag')}</span>}
            {u.interrupted && <span className="tag">{t('transcript.interrupted')}</span>}
          </div>
          <p className="turn-text">{u.text}</p>
          {showLatency && <TurnLatency metrics={u.metrics ?? null} />}
        </li>
      ))}
    </ol>
  );
}
