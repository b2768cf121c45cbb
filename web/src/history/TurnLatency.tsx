import type { StoredUtterance, TurnMetrics } from '@parley/protocol';
import { useTranslation } from 'react-i18next';
import { formatMs } from '../lib/format';

const PARTS = ['endOfUtteranceDelayMs', 'transcriptionDelayMs', 'llmTtftMs', 'ttsTtfbMs'] as const satisfies Array<
  keyof TurnMetrics
>;

const STAGES = ['stt', 'llm', 'tts'] as const;

/** One turn's latency: the end-to-end figure up front, the breakdown (and who served it) in a disclosure. */
export function TurnLatency({ metrics }: { metrics: StoredUtterance['metrics'] }) {
  const { t } = useTranslation();
  if (!metrics) return null;
  const parts = PARTS.filter((k) => metrics[k] !== null && metrics[k] !== undefined);
  const e2e = metrics.e2eLatencyMs ?? null;
  const served = STAGES.flatMap((k) =>
    metrics.servedBy?.[k] ? [`${metrics.servedBy[k]} (${t(`latency.servedStage.${k}`)})`] : [],
  ).join(', ');
  if (e2e === null && parts.length === 0) return null;
  return (
    <details className="latency">
      <summary>
        {e2e !== null ? (
          <>
            {t('latency.repliedIn')} <strong>{formatMs(e2e)}</strong>
          </>
        ) : (
          t('latency.title')
        )}
      </summary>
      <dl>
        {parts.map((k) => (
          <div key={k}>
            <dt>{t(`latency.${k}`)}</dt>
            <dd>{formatMs(metrics[k])}</dd>
          </div>
        ))}
        {served && (
          <div>
            <dt>{t('latency.servedBy')}</dt>
            <dd>{served}</dd>
          </div>
        )}
      </dl>
    </details>
  );
}
