import { useId, useState } from 'react';
import { SHARE_DEFAULT_DAYS } from '@parley/protocol';
import { errorMessage } from '../api/client';
import { createShare } from '../api/shares';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';

const EXPIRY_CHOICES = [1, SHARE_DEFAULT_DAYS, 30, 90];

/** Creates a read-only link to this conversation; the link is shown once (only its hash is kept). */
export function ShareBox({ conversationId, onClose }: { conversationId: string; onClose: () => void }) {
  const id = useId();
  const [days, setDays] = useState(SHARE_DEFAULT_DAYS);
  const [latency, setLatency] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ url: string; expiresAt: string } | null>(null);
  const [copied, setCopied] = useState(false);

  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await createShare(conversationId, days, latency);
      setCreated({ url: r.url, expiresAt: r.share.expiresAt });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.url);
      setCopied(true);
    } catch {
      setError('Copy failed: select the link and copy it yourself.');
    }
  };

  return (
    <div className="confirm-box share-box" role="group" aria-labelledby={`${id}-title`}>
      <p id={`${id}-title`}>
        <strong>Share a read-only link</strong> — anyone with the link sees this transcript, signed out. You can revoke
        it in Settings.
      </p>
      {error && <Alert>{error}</Alert>}
      {created ? (
        <>
          <label htmlFor={`${id}-url`}>Link (shown once)</label>
          <input
            id={`${id}-url`}
            className="share-url"
            readOnly
            value={created.url}
            onFocus={(e) => e.currentTarget.select()}
          />
          <p className="muted small">Expires {formatDateTime(created.expiresAt)}.</p>
          <div className="button-row">
            <button type="button" className="button" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy link'}
            </button>
            <button type="button" className="button" onClick={onClose}>
              Done
            </button>
          </div>
        </>
      ) : (
        <>
          <label htmlFor={`${id}-days`}>Expires after</label>
          <select id={`${id}-days`} value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {EXPIRY_CHOICES.map((d) => (
              <option key={d} value={d}>
                {d} day{d === 1 ? '' : 's'}
              </option>
            ))}
          </select>
          <label className="checkbox">
            <input type="checkbox" checked={latency} onChange={(e) => setLatency(e.target.checked)} /> Include per-turn
            latency
          </label>
          <div className="button-row">
            <button type="button" className="button button-primary" onClick={() => void create()} disabled={busy}>
              {busy ? 'Creating…' : 'Create link'}
            </button>
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
          </div>
        </>
      )}
    </div>
  );
}
