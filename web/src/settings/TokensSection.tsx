import { useCallback, useEffect, useId, useState } from 'react';
import { TOKEN_DEFAULT_DAYS, TOKEN_SCOPES, type ApiToken, type TokenScope } from '@parley/protocol';
import { errorMessage } from '../api/client';
import { createToken, listTokens, revokeToken } from '../api/tokens';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';

const SCOPES = Object.keys(TOKEN_SCOPES) as TokenScope[];
const EXPIRY_CHOICES: (number | null)[] = [7, 30, TOKEN_DEFAULT_DAYS, 365, null];

/** Settings → API tokens: named tokens with scopes for scripts; a new token is shown once. */
export function TokensSection() {
  const id = useId();
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<TokenScope[]>(['history:read']);
  const [days, setDays] = useState<number | null>(TOKEN_DEFAULT_DAYS);
  const [created, setCreated] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setTokens(await listTokens());
    } catch (e) {
      setMessage(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const create = async () => {
    setBusy('create');
    setMessage(null);
    try {
      const r = await createToken({ name, scopes, expiresInDays: days });
      setCreated(r.token);
      setName('');
      await load();
    } catch (e) {
      setMessage(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  const revoke = async (tokenId: string) => {
    setBusy(tokenId);
    setMessage(null);
    try {
      await revokeToken(tokenId);
      await load();
    } catch (e) {
      setMessage(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  const toggle = (s: TokenScope, on: boolean) =>
    setScopes((cur) => (on ? [...new Set([...cur, s])] : cur.filter((x) => x !== s)));

  return (
    <section className="card" id="tokens" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>API tokens</h2>
      <p className="muted small">
        For your own scripts: send <code>Authorization: Bearer &lt;token&gt;</code>. A token cannot manage tokens or
        change your password.
      </p>
      {message && <Alert>{message}</Alert>}
      {created && (
        <div className="confirm-box" role="status">
          <label htmlFor={`${id}-created`}>New token (shown once: copy it now)</label>
          <input
            id={`${id}-created`}
            className="share-url"
            readOnly
            value={created}
            onFocus={(e) => e.currentTarget.select()}
          />
          <div className="button-row">
            <button type="button" className="button" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      {tokens === null ? null : tokens.length === 0 ? (
        <p className="muted">No API tokens.</p>
      ) : (
        <ul className="share-list">
          {tokens.map((t) => (
            <li key={t.id}>
              <div>
                <strong>{t.name}</strong> <code>{t.hint}…</code>
                <span className="muted small">
                  {' '}
                  · {t.scopes.join(', ')} · {t.expiresAt ? `expires ${formatDateTime(t.expiresAt)}` : 'never expires'} ·{' '}
                  {t.lastUsedAt ? `last used ${formatDateTime(t.lastUsedAt)}` : 'never used'}
                </span>
              </div>
              <button
                type="button"
                className="button button-small button-danger"
                onClick={() => void revoke(t.id)}
                disabled={busy === t.id}
              >
                {busy === t.id ? 'Revoking…' : 'Revoke'}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="token-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <div className="field">
          <label htmlFor={`${id}-name`}>Token name</label>
          <input id={`${id}-name`} value={name} maxLength={80} required onChange={(e) => setName(e.target.value)} />
        </div>
        <fieldset className="field">
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} className="checkbox">
              <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => toggle(s, e.target.checked)} />{' '}
              <code>{s}</code> — {TOKEN_SCOPES[s]}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-days`}>Expires after</label>
          <select
            id={`${id}-days`}
            value={days ?? 'never'}
            onChange={(e) => setDays(e.target.value === 'never' ? null : Number(e.target.value))}
          >
            {EXPIRY_CHOICES.map((d) => (
              <option key={d ?? 'never'} value={d ?? 'never'}>
                {d === null ? 'Never' : `${d} days`}
              </option>
            ))}
          </select>
        </div>
        <button
          type="submit"
          className="button button-primary"
          disabled={busy === 'create' || !name.trim() || scopes.length === 0}
        >
          {busy === 'create' ? 'Creating…' : 'Create token'}
        </button>
      </form>
    </section>
  );
}
