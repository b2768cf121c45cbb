import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { listConversations, type AdminConversation } from '../api/admin';
import { Alert } from '../components/Alert';
import { useLoaded } from '../lib/useLoaded';
import { endReasonText } from '../lib/end-reasons';
import { formatDateTime, formatDuration, formatNumber } from '../lib/format';
import { BreakableEmail } from './BreakableEmail';
import { BreakGlassPanel } from './BreakGlassPanel';
import { Pager } from './Pager';

const PAGE = 25;

/**
 * Every conversation as metadata (never a title or transcript), optionally one account's; one
 * transcript only through the audited break-glass panel.
 */
export function ConversationsSection({
  userId,
  userEmail,
  onShowAll,
}: {
  userId?: string | undefined;
  userEmail?: string | undefined;
  onShowAll: () => void;
}) {
  const { t } = useTranslation();
  const [offset, setOffset] = useState(0);
  const [glass, setGlass] = useState<AdminConversation | null>(null);

  useEffect(() => setOffset(0), [userId]);
  const { data: list, error } = useLoaded(() => listConversations({ userId, limit: PAGE, offset }), [userId, offset]);

  return (
    <section className="card" aria-labelledby="admin-conv-title">
      <h2 id="admin-conv-title" className="admin-section-title">
        {t('admin.conversations')}
      </h2>
      <p className="muted small">{t('admin.convNote')}</p>
      {userId && (
        <p className="admin-filter-note">
          {t('admin.oneAccount', { who: userEmail ?? userId })}{' '}
          <button type="button" className="link-button" onClick={onShowAll}>
            {t('admin.showAll')}
          </button>
        </p>
      )}
      {error && <Alert title={t('admin.loadFailed')}>{error}</Alert>}
      {list &&
        (list.conversations.length === 0 ? (
          <p className="muted">{t('admin.noConversations')}</p>
        ) : (
          <div className="table-scroll">
            <table className="usage-cost-table admin-table">
              <thead>
                <tr>
                  <th scope="col">{t('admin.started')}</th>
                  {!userId && <th scope="col">{t('admin.account')}</th>}
                  <th scope="col" className="wide-only">
                    {t('admin.status')}
                  </th>
                  <th scope="col" className="wide-only">
                    {t('admin.language')}
                  </th>
                  <th scope="col" className="num">
                    {t('admin.duration')}
                  </th>
                  <th scope="col" className="num wide-only">
                    {t('admin.turns')}
                  </th>
                  <th scope="col" className="wide-only">
                    {t('admin.endReason')}
                  </th>
                  <th scope="col">{t('admin.transcriptCol')}</th>
                </tr>
              </thead>
              <tbody>
                {list.conversations.map((c) => (
                  <tr key={c.id}>
                    <td>{formatDateTime(c.startedAt ?? c.createdAt)}</td>
                    {!userId && (
                      <td className="admin-email">
                        <BreakableEmail email={c.userEmail} />
                      </td>
                    )}
                    <td className="wide-only">{c.status}</td>
                    <td className="wide-only">{c.language}</td>
                    <td className="num">{formatDuration(c.durationMs)}</td>
                    <td className="num wide-only">{formatNumber(c.turnCount)}</td>
                    <td className="wide-only">{endReasonText(c.endReason) ?? '—'}</td>
                    <td>
                      <button
                        type="button"
                        className="button button-small"
                        aria-label={t('admin.breakGlassFor', { when: formatDateTime(c.startedAt ?? c.createdAt) })}
                        onClick={() => setGlass(c)}
                      >
                        {t('admin.breakGlass')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      {list && <Pager offset={offset} limit={PAGE} total={list.total} onOffset={setOffset} />}
      {glass && <BreakGlassPanel key={glass.id} conversation={glass} onClose={() => setGlass(null)} />}
    </section>
  );
}
