import { useEffect, useState } from 'react';
import { getUsage, type Usage } from '../api/me';
import { formatMs } from '../lib/format';

/** Calls, minutes, turns, median latency and streak; hidden when the usage route is unavailable. */
export function UsageSummary() {
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
  if (typeof usage.calls === 'number') stats.push(['Calls', String(usage.calls)]);
  if (typeof usage.minutesTalked === 'number')
    stats.push([
      'Minutes talked',
      usage.minutesTalked < 10 ? usage.minutesTalked.toFixed(1) : String(Math.round(usage.minutesTalked)),
    ]);
  if (typeof usage.turns === 'number') stats.push(['Turns', String(usage.turns)]);
  if (usage.medianTurnLatencyMs !== undefined) stats.push(['Median reply time', formatMs(usage.medianTurnLatencyMs)]);
  if (typeof usage.activeDayStreak === 'number') stats.push(['Day streak', String(usage.activeDayStreak)]);
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
