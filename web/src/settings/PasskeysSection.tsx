import { useCallback, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../api/client';
import {
  addPasskey,
  isPasskeyDialogError,
  listPasskeys,
  passkeysSupported,
  removePasskey,
  type PasskeyInfo,
} from '../api/passkeys';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';

/** Settings → passkeys: add one from this device (the browser's own dialog), list, remove. */
export function PasskeysSection() {
  const { t } = useTranslation();
  const id = useId();
  const [passkeys, setPasskeys] = useState<PasskeyInfo[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const supported = passkeysSupported();

  const load = useCallback(async () => {
    try {
      setPasskeys(await listPasskeys());
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
      setMessage(isPasskeyDialogError(e) ? t('account.passkeyCancelled') : errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section id="passkeys" className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('account.passkeysTitle')}</h2>
      <p className="muted small">{t('account.passkeysIntro')}</p>
      {message && <Alert>{message}</Alert>}
      {notice && <Alert tone="success">{notice}</Alert>}
      {passkeys &&
        (passkeys.length === 0 ? (
          <p className="muted">{t('account.noPasskeys')}</p>
        ) : (
          <ul className="share-list">
            {passkeys.map((p) => (
              <li key={p.id}>
                <div>
                  <strong>{p.name}</strong>
                  <div className="muted small">
                    {t('account.passkeyAddedAt', { when: formatDateTime(p.createdAt) })} ·{' '}
                    {p.lastUsedAt
                      ? t('account.passkeyLastUsed', { when: formatDateTime(p.lastUsedAt) })
                      : t('account.passkeyNeverUsed')}
                  </div>
                </div>
                <button
                  type="button"
                  className="button button-small"
                  aria-label={t('account.removePasskeyLabel', { name: p.name })}
                  disabled={busy !== null}
                  onClick={() => void act(p.id, () => removePasskey(p.id), t('account.passkeyRemoved'))}
                >
                  {t('account.removePasskey')}
                </button>
              </li>
            ))}
          </ul>
        ))}
      {supported ? (
        <button
          type="button"
          className="button button-primary"
          disabled={busy !== null}
          onClick={() => void act('add', addPasskey, t('account.passkeyAdded'))}
        >
          {busy === 'add' ? t('account.adding') : t('account.addPasskey')}
        </button>
      ) : (
        <p className="muted small">{t('account.passkeyUnsupported')}</p>
      )}
    </section>
  );
}
