import type { StoredUtterance } from '@parley/protocol';
import { useTranslation } from 'react-i18next';
import { Turn, type TurnContent } from '../transcript/Turn';
import { speakerLabels } from '../transcript/TranscriptView';
import { TurnLatency } from './TurnLatency';

/** One stored turn as the conversation page and a shared link both show it. */
export interface StoredTurn extends TurnContent {
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
        <Turn key={u.seq} turn={u} speaker={labels[u.role]}>
          {showLatency && <TurnLatency metrics={u.metrics ?? null} />}
        </Turn>
      ))}
    </ol>
  );
}
