import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { getUsage } from '../api/admin';
import { Alert } from '../components/Alert';
import { useLoaded } from '../lib/useLoaded';
import { MonthHeading } from '../components/MonthHeading';
import { formatDuration, formatNumber, formatUsd } from '../lib/format';
import { BreakableEmail } from './BreakableEmail';

/** Every account's usage and estimated cost for a UTC month, costliest first (GET /api/admin/usage). */
export function UsageSection() {
  const { t } = useTranslation();
  const [month, setMonth] = useState<string | undefined>(undefined);
  const { data: usage, error } = useLoaded(() => getUsage(month), [month]);

  if (error) return <Alert title={t('admin.loadFailed')}>{error}</Alert>;
  if (!usage) return null;
  const sum = (k: 'costUsd' | 'calls' | 'minutes') => usage.users.reduce((n, u) => n + u[k], 0);
  const unpriced = usage.users.some((u) => u.unpriced);
  return (
    <section className="usage-cost card" aria-labelledby="admin-usage-title">
      <MonthHeading id="admin-usage-title" title={t('admin.usage')} month={usage.month} onMonth={setMonth} />
      <dl className="usage">
        <div className="usage-item">
          <dt>{t('cost.estimated')}</dt>
          <dd>{formatUsd(sum('costUsd'))}</dd>
        </div>
        <div className="usage-item">
          <dt>{t('cost.calls')}</dt>
          <dd>{formatNumber(sum('calls'))}</dd>
        </div>
        <div className="usage-item">
          <dt>{t('cost.minutes')}</dt>
          <dd>{formatNumber(sum('minutes'), 1)}</dd>
        </div>
        <div className="usage-item">
          <dt>{t('admin.activeAccounts')}</dt>
          <dd>{formatNumber(usage.users.length)}</dd>
        </div>
      </dl>
      {usage.users.length === 0 ? (
        <p className="muted">{t('cost.none')}</p>
      ) : (
        <div className="table-scroll">
          <table className="usage-cost-table admin-table">
            <thead>
              <tr>
                <th scope="col">{t('admin.account')}</th>
                <th scope="col" className="num wide-only">
                  {t('cost.calls')}
                </th>
                <th scope="col" className="num">
                  {t('cost.minutes')}
                </th>
                <th scope="col" className="num wide-only">
                  {t('cost.recognized')}
                </th>
                <th scope="col" className="num wide-only">
                  {t('cost.llmTokens')}
                </th>
                <th scope="col" className="num wide-only">
                  {t('cost.characters')}
                </th>
                <th scope="col" className="num">
                  {t('cost.cost')}
                </th>
              </tr>
            </thead>
            <tbody>
              {usage.users.map((u) => (
                <tr key={u.userId}>
                  <td className="admin-email">
                    <BreakableEmail email={u.email} />
                  </td>
                  <td className="num wide-only">{formatNumber(u.calls)}</td>
                  <td className="num">{formatNumber(u.minutes, 1)}</td>
                  <td className="num wide-only">{formatDuration(u.sttAudioSeconds * 1000)}</td>
                  <td className="num wide-only">
                    {formatNumber(u.llmPromptTokens)} / {formatNumber(u.llmCompletionTokens)}
                  </td>
                  <td className="num wide-only">{formatNumber(u.ttsCharacters)}</td>
                  <td className="num">
                    {formatUsd(u.costUsd)}
                    {u.unpriced ? ' *' : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted small">
        {t('cost.note')}
        {unpriced ? ` * ${t('cost.unpriced')}` : ''}
      </p>
    </section>
  );
}
