import { useCallback, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { listSessions, revokeOtherSessions, revokeSession, type SessionInfo } from '../api/account';
import { errorMessage } from '../api/client';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';

/** Settings → sessions and devices: where the account is signed in; sign one out, or every other. */
export function SessionsSection() {
  const { t } = useTranslation();
  const id = useId();
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setSessions(await listSessions());
    } catch (e) {
      setMessage(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (key: string, fn: () => Promise<unknown>, done: string) => {
    setBusy(key);
    setMessage(null);
    setNotice(null);
    try {
      await fn();
      setNotice(done);
      await load();
    } catch (e) {
      setMessage(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  const others = sessions?.filter((s) => !s.current).length ?? 0;
  return (
    <section id="sessions" className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('account.sessionsTitle')}</h2>
      {message && <Alert>{message}</Alert>}
      {notice && <Alert tone="success">{notice}</Alert>}
      {sessions && (
        <ul className="share-list session-list">
          {sessions.map((s) => (
            <li key={s.id}>
              <div>
                <strong>{s.device}</strong>
                {s.current && <span className="badge badge-on">{t('account.thisDevice')}</span>}
                <div className="muted small">
                  {t('account.signedInAt', { when: formatDateTime(s.createdAt) })} ·{' '}
                  {t('account.lastUsedAt', { when: formatDateTime(s.lastUsedAt) })}
                  {s.ip && <> · {t('account.network', { ip: s.ip })}</>}
                </div>
              </div>
              {!s.current && (
                <button
                  type="button"
                  className="button button-small"
                  aria-label={t('account.signOutDevice', { device: s.device })}
                  disabled={busy !== null}
                  onClick={() => void act(s.id, () => revokeSession(s.id), t('account.signedOutOne'))}
                >
                  {t('account.signOut')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {sessions && (
        <>
          {others === 0 && <p className="muted small">{t('account.noOtherSessions')}</p>}
          <button
            type="button"
            className="button button-danger"
            disabled={busy !== null || others === 0}
            onClick={() => void act('others', revokeOtherSessions, t('account.signedOutOthers'))}
          >
            {t('account.logoutEverywhere')}
          </button>
        </>
      )}
    </section>
  );
}
