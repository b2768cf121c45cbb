import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import type { ShareLink } from '@parley/protocol';
import { errorMessage } from '../api/client';
import { listShares, revokeShare } from '../api/shares';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';

/** Settings → Shared links: the user's links that still open, each revocable at once. */
export function SharesSection() {
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
      <h2 id="shares-title">Shared links</h2>
      {message && <Alert>{message}</Alert>}
      {shares === null ? null : shares.length === 0 ? (
        <p className="muted">No active share links. Share a conversation from its page in History.</p>
      ) : (
        <ul className="share-list">
          {shares.map((s) => (
            <li key={s.id}>
              <div>
                <Link to={`/history/${s.conversationId}`}>
                  {s.conversationTitle?.trim() || 'Untitled conversation'}
                </Link>
                <span className="muted small">
                  {' '}
                  · expires {formatDateTime(s.expiresAt)}
                  {s.includeLatency ? ' · with latency' : ''}
                </span>
              </div>
              <button
                type="button"
                className="button button-small button-danger"
                onClick={() => void revoke(s.id)}
                disabled={busy === s.id}
              >
                {busy === s.id ? 'Revoking…' : 'Revoke'}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
