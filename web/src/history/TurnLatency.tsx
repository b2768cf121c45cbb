import type { StoredUtterance, TurnMetrics } from '@parley/protocol';
import { formatMs } from '../lib/format';

const PARTS: Array<[keyof TurnMetrics, string]> = [
  ['endOfUtteranceDelayMs', 'End of speech detected'],
  ['transcriptionDelayMs', 'Transcription'],
  ['llmTtftMs', 'Language model, first token'],
  ['ttsTtfbMs', 'Speech synthesis, first audio'],
];

/** One turn's latency: the end-to-end figure up front, the breakdown in a disclosure. */
export function TurnLatency({ metrics }: { metrics: StoredUtterance['metrics'] }) {
  if (!metrics) return null;
  const parts = PARTS.filter(([k]) => metrics[k] !== null && metrics[k] !== undefined);
  const e2e = metrics.e2eLatencyMs ?? null;
  if (e2e === null && parts.length === 0) return null;
  return (
    <details className="latency">
      <summary>
        {e2e !== null ? (
          <>
            Replied in <strong>{formatMs(e2e)}</strong>
          </>
        ) : (
          'Latency'
        )}
      </summary>
      <dl>
        {parts.map(([k, label]) => (
          <div key={k}>
            <dt>{label}</dt>
            <dd>{formatMs(metrics[k])}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
