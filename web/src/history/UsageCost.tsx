import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { getUsageCost } from '../api/me';
import { Alert } from '../components/Alert';
import { useLoaded } from '../lib/useLoaded';
import { MonthHeading } from '../components/MonthHeading';
import { formatDateTime, formatDuration, formatNumber, formatUsd } from '../lib/format';

/**
 * One UTC month of the user's provider usage and its estimated cost: the month's total and each
 * call's, with previous/next month. The figures come priced from the gateway (GET /api/me/usage/cost).
 */
export function UsageCost() {
  const { t } = useTranslation();
  const [month, setMonth] = useState<string | undefined>(undefined);
  const { data: cost, error } = useLoaded(() => getUsageCost(month), [month]);

  if (error) return <Alert title={t('cost.loadFailed')}>{error}</Alert>;
  if (!cost) return null;
  const { total } = cost;
  const stats: Array<[string, string]> = [
    [t('cost.estimated'), formatUsd(total.costUsd)],
    [t('cost.calls'), formatNumber(total.calls)],
    [t('cost.minutes'), formatNumber(total.minutes, total.minutes < 10 ? 1 : 0)],
    [t('cost.recognized'), formatDuration(total.sttAudioSeconds * 1000)],
    [t('cost.llmTokens'), `${formatNumber(total.llmPromptTokens)} / ${formatNumber(total.llmCompletionTokens)}`],
    [t('cost.characters'), formatNumber(total.ttsCharacters)],
  ];
  return (
    <section className="usage-cost card" aria-labelledby="usage-cost-title">
      <MonthHeading id="usage-cost-title" title={t('cost.title')} month={cost.month} onMonth={setMonth} />
      <dl className="usage">
        {stats.map(([k, v]) => (
          <div key={k} className="usage-item">
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {cost.conversations.length === 0 ? (
        <p className="muted">{t('cost.none')}</p>
      ) : (
        <div className="table-scroll">
          <table className="usage-cost-table">
            <thead>
              <tr>
                <th scope="col">{t('cost.conversation')}</th>
                <th scope="col" className="started">
                  {t('cost.started')}
                </th>
                <th scope="col" className="num">
                  {t('cost.minutes')}
                </th>
                <th scope="col" className="num">
                  {t('cost.cost')}
                </th>
              </tr>
            </thead>
            <tbody>
              {cost.conversations.map((c) => (
                <tr key={c.conversationId}>
                  <td>
                    <Link to={`/history/${c.conversationId}`}>{c.title?.trim() || t('common.untitled')}</Link>
                  </td>
                  <td className="started">{formatDateTime(c.startedAt)}</td>
                  <td className="num">{formatNumber(c.minutes, 1)}</td>
                  <td className="num">
                    {formatUsd(c.costUsd)}
                    {c.unpriced ? ' *' : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted small">
        {t('cost.note')}
        {total.unpriced ? ` * ${t('cost.unpriced')}` : ''}
      </p>
    </section>
  );
}
