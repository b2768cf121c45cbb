import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { formatMonth } from '../lib/format';

/** YYYY-MM of the month `delta` months from `month`. */
export function shiftMonth(month: string, delta: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + delta, 1)).toISOString().slice(0, 7);
}

/** A card's heading for one UTC month ("Title · May 2026") with previous/next month (never past this one). */
export function MonthHeading(props: { id: string; title: ReactNode; month: string; onMonth(month: string): void }) {
  const { t } = useTranslation();
  const current = new Date().toISOString().slice(0, 7);
  return (
    <div className="usage-cost-head">
      <h2 id={props.id}>
        {props.title} · {formatMonth(props.month)}
      </h2>
      <div className="usage-cost-nav">
        <button type="button" className="button" onClick={() => props.onMonth(shiftMonth(props.month, -1))}>
          ‹ {t('cost.previous')}
        </button>
        <button
          type="button"
          className="button"
          disabled={props.month >= current}
          onClick={() => props.onMonth(shiftMonth(props.month, 1))}
        >
          {t('cost.next')} ›
        </button>
      </div>
    </div>
  );
}
