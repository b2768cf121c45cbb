import type { StoredUtterance } from '@parley/protocol';
import { formatClock } from '../lib/format';
import { SPEAKER_LABELS } from '../transcript/TranscriptView';
import { TurnLatency } from './TurnLatency';

/** One stored turn as the conversation page and a shared link both show it. */
export interface StoredTurn {
  seq: number;
  role: keyof typeof SPEAKER_LABELS;
  text: string;
  startedAt: string;
  interrupted?: boolean;
  metrics?: StoredUtterance['metrics'];
}

/** A finished conversation's turns, oldest first, with each turn's latency when `showLatency`. */
export function StoredTurns({ utterances, showLatency }: { utterances: StoredTurn[]; showLatency: boolean }) {
  if (utterances.length === 0) return <p className="empty">Nothing was said in this call.</p>;
  return (
    <ol className="turns turns-static">
      {utterances.map((u) => (
        <li key={u.seq} className={`turn turn-${u.role}`}>
          <div className="turn-meta">
            <span className="speaker">{SPEAKER_LABELS[u.role]}</span>
            <time dateTime={u.startedAt}>{formatClock(u.startedAt)}</time>
            {u.interrupted && <span className="tag">interrupted</span>}
          </div>
          <p className="turn-text">{u.text}</p>
          {showLatency && <TurnLatency metrics={u.metrics ?? null} />}
        </li>
      ))}
    </ol>
  );
}
