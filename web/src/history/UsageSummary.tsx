import { useEffect, useState } from 'react';
import { getUsage, type Usage } from '../api/me';
import { useTranslation } from 'react-i18next';
import { formatMs, formatNumber } from '../lib/format';

/** The boxes a current server fills (all five), in their order. */
const LABELS = [
  'history.calls',
  'history.minutes',
  'history.turnsStat',
  'history.medianReply',
  'history.streak',
] as const;

/**
 * Calls, minutes, turns, median latency and streak; hidden when the usage route is unavailable.
 * Until the figures arrive the same boxes stand there with their labels and no values (hidden from
 * assistive technology), so the list below does not jump down when they come (Lighthouse measured a
 * layout shift of 0.32 on /history from it).
 */
export function UsageSummary() {
  const { t } = useTranslation();
  const [usage, setUsage] = useState<Usage | null | 'failed'>(null);
  useEffect(() => {
    let live = true;
    getUsage()
      .then((u) => live && setUsage(u && typeof u === 'object' ? u : 'failed'))
      .catch(() => live && setUsage('failed'));
    return () => {
      live = false;
    };
  }, []);
  if (usage === 'failed') return null;
  if (!usage)
    return (
      <dl className="usage" aria-hidden="true" data-testid="usage-pending">
        {LABELS.map((k) => (
          <div key={k} className="usage-item">
            <dt>{t(k)}</dt>
            <dd>{'\u00a0'}</dd>
          </div>
        ))}
      </dl>
    );
  const stats: Array<[string, string]> = [];
  if (typeof usage.calls === 'number') stats.push([t('history.calls'), formatNumber(usage.calls)]);
  if (typeof usage.minutesTalked === 'number')
    stats.push([t('history.minutes'), formatNumber(usage.minutesTalked, usage.minutesTalked < 10 ? 1 : 0)]);
  if (typeof usage.turns === 'number') stats.push([t('history.turnsStat'), formatNumber(usage.turns)]);
  if (usage.medianTurnLatencyMs !== undefined)
    stats.push([t('history.medianReply'), formatMs(usage.medianTurnLatencyMs)]);
  if (typeof usage.activeDayStreak === 'number') stats.push([t('history.streak'), formatNumber(usage.activeDayStreak)]);
  if (stats.length === 0) return null;
  return (
    <dl className="usage">
      {stats.map(([k, v]) => (
        <div key={k} className="usage-item">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
