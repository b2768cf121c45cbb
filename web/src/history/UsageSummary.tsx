import { useEffect, useState } from 'react';
import { getUsage, type Usage } from '../api/me';
import { useTranslation } from 'react-i18next';
import { formatMs, formatNumber } from '../lib/format';

/** Calls, minutes, turns, median latency and streak; hidden when the usage route is unavailable. */
export function UsageSummary() {
  const { t } = useTranslation();
  const [usage, setUsage] = useState<Usage | null>(null);
  useEffect(() => {
    let live = true;
    getUsage()
      .then((u) => live && u && typeof u === 'object' && setUsage(u))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  if (!usage) return null;
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
