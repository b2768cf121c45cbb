import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { ShareLink } from '@parley/protocol';
import { errorMessage } from '../api/client';
import { listShares, revokeShare } from '../api/shares';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';

/** Settings → Shared links: the user's links that still open, each revocable at once. */
export function SharesSection() {
  const { t } = useTranslation();
  const [shares, setShares] = useState<ShareLink[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setShares(await listShares());
    } catch (e) {
      setMessage(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const revoke = async (id: string) => {
    setBusy(id);
    setMessage(null);
    try {
      await revokeShare(id);
      await load();
    } catch (e) {
      setMessage(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card" id="shares" aria-labelledby="shares-title">
      <h2 id="shares-title">{t('settings.sharesTitle')}</h2>
      {message && <Alert>{message}</Alert>}
      {shares === null ? null : shares.length === 0 ? (
        <p className="muted">{t('settings.sharesNone')}</p>
      ) : (
        <ul className="share-list">
          {shares.map((s) => (
            <li key={s.id}>
              <div>
                <Link to={`/history/${s.conversationId}`}>{s.conversationTitle?.trim() || t('common.untitled')}</Link>
                <span className="muted small">
                  {' '}
                  · {t('settings.shareExpires', { when: formatDateTime(s.expiresAt) })}
                  {s.includeLatency ? ` · ${t('settings.withLatency')}` : ''}
                </span>
              </div>
              <button
                type="button"
                className="button button-small button-danger"
                onClick={() => void revoke(s.id)}
                disabled={busy === s.id}
              >
                {busy === s.id ? t('settings.revoking') : t('settings.revoke')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
