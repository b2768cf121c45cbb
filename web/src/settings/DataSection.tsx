import { useId, useState, type ChangeEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { IMPORT_MAX_BYTES } from '@parley/protocol';
import { errorMessage } from '../api/client';
import { EXPORT_ALL_URL, deleteAccount, importFile } from '../api/me';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';

export function DataSection({ onImported }: { onImported(): void }) {
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
      setMessage({ tone: 'error', text: 'That file is too large to be a Parley export.' });
      return;
    }
    try {
      await importFile(file);
      setMessage({ tone: 'success', text: 'Preferences imported.' });
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
      <h2 id={`${id}-title`}>Your data</h2>
      {message && <Alert tone={message.tone}>{message.text}</Alert>}
      <div className="data-actions">
        <div>
          <h3>Export</h3>
          <p className="muted small">Your profile, preferences and every conversation, as one JSON file.</p>
          <a className="button" href={EXPORT_ALL_URL} download>
            Download my data
          </a>
        </div>
        <div>
          <h3>Import preferences</h3>
          <p className="muted small">Restore preferences from a Parley export.</p>
          <label className="button file-button">
            Choose export file…
            <input
              type="file"
              accept="application/json,.json"
              className="visually-hidden"
              onChange={(e) => void onFile(e)}
            />
          </label>
        </div>
        <div>
          <h3>Delete account</h3>
          <p className="muted small">
            Erases your account, preferences and all conversations, and logs you out everywhere. This can’t be undone.
          </p>
          {!confirming ? (
            <button type="button" className="button button-danger" onClick={() => setConfirming(true)}>
              Delete my account…
            </button>
          ) : (
            <div className="confirm-box">
              <label htmlFor={`${id}-confirm`}>Enter your password to delete everything</label>
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
                  Delete everything
                </button>
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    setConfirming(false);
                    setPassword('');
                  }}
                >
                  Cancel
                </button>
              </div>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}
