import { useId, useState, type ChangeEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { IMPORT_MAX_BYTES } from '@parley/protocol';
import { errorMessage } from '../api/client';
import { EXPORT_ALL_URL, deleteAccount, importFile } from '../api/me';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';

export function DataSection({ onImported }: { onImported(): void }) {
  const { t } = useTranslation();
  const { setUser } = useAuth();
  const navigate = useNavigate();
  const id = useId();
  const [message, setMessage] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setMessage(null);
    if (file.size > IMPORT_MAX_BYTES) {
      setMessage({ tone: 'error', text: t('settings.importTooLarge') });
      return;
    }
    try {
      await importFile(file);
      setMessage({ tone: 'success', text: t('settings.imported') });
      onImported();
    } catch (err) {
      setMessage({ tone: 'error', text: errorMessage(err) });
    }
  };

  const onDelete = async () => {
    setBusy(true);
    setMessage(null);
    try {
      await deleteAccount(password);
      setUser(null);
      navigate('/', { replace: true });
    } catch (err) {
      setMessage({ tone: 'error', text: errorMessage(err) });
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('settings.dataTitle')}</h2>
      {message && <Alert tone={message.tone}>{message.text}</Alert>}
      <div className="data-actions">
        <div>
          <h3>{t('settings.exportTitle')}</h3>
          <p className="muted small">{t('settings.exportText')}</p>
          <a className="button" href={EXPORT_ALL_URL} download>
            {t('settings.exportDownload')}
          </a>
        </div>
        <div>
          <h3>{t('settings.importTitle')}</h3>
          <p className="muted small">{t('settings.importText')}</p>
          <label className="button file-button">
            {t('settings.importChoose')}
            <input
              type="file"
              accept="application/json,.json"
              className="visually-hidden"
              onChange={(e) => void onFile(e)}
            />
          </label>
        </div>
        <div>
          <h3>{t('settings.deleteTitle')}</h3>
          <p className="muted small">{t('settings.deleteText')}</p>
          {!confirming ? (
            <button type="button" className="button button-danger" onClick={() => setConfirming(true)}>
              {t('settings.deleteStart')}
            </button>
          ) : (
            <div className="confirm-box">
              <label htmlFor={`${id}-confirm`}>{t('settings.deleteConfirm')}</label>
              <input
                id={`${id}-confirm`}
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                autoComplete="current-password"
              />
              <div className="button-row">
                <button
                  type="button"
                  className="button button-danger"
                  disabled={!password || busy}
                  onClick={() => void onDelete()}
                >
                  {t('settings.deleteEverything')}
                </button>
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    setConfirming(false);
                    setPassword('');
                  }}
                >
                  {t('common.cancel')}
                </button>
              </div>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}
