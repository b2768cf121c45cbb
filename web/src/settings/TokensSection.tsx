import { Fragment, useCallback, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { TOKEN_DEFAULT_DAYS, TOKEN_SCOPES, type ApiToken, type TokenScope } from '@parley/protocol';
import { errorMessage } from '../api/client';
import { createToken, listTokens, revokeToken } from '../api/tokens';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';

const SCOPES = Object.keys(TOKEN_SCOPES) as TokenScope[];
/** Each scope's description in the catalogues (an i18next key cannot hold the scope's ':'). */
const SCOPE_TEXT = {
  'history:read': 'settings.tokenScope.historyRead',
  export: 'settings.tokenScope.export',
  'calls:start': 'settings.tokenScope.callsStart',
} as const satisfies Record<TokenScope, string>;
const EXPIRY_CHOICES: (number | null)[] = [7, 30, TOKEN_DEFAULT_DAYS, 365, null];

/** Settings → API tokens: named tokens with scopes for scripts; a new token is shown once. */
export function TokensSection() {
  const { t } = useTranslation();
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
  // The header sits in <code> inside the sentence, wherever the language puts it.
  const [introBefore, introAfter] = t('settings.tokensIntro', { header: '\u0000' }).split('\u0000');
  const toggle = (s: TokenScope, on: boolean) =>
    setScopes((cur) => (on ? [...new Set([...cur, s])] : cur.filter((x) => x !== s)));

  return (
    <section className="card" id="tokens" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('settings.tokensTitle')}</h2>
      <p className="muted small">
        {introBefore}
        <code>Authorization: Bearer &lt;token&gt;</code>
        {introAfter}
      </p>
      {message && <Alert>{message}</Alert>}
      {created && (
        <div className="confirm-box" role="status">
          <label htmlFor={`${id}-created`}>{t('settings.tokenCreated')}</label>
          <input
            id={`${id}-created`}
            className="share-url"
            readOnly
            value={created}
            onFocus={(e) => e.currentTarget.select()}
          />
          <div className="button-row">
            <button type="button" className="button" onClick={() => setCreated(null)}>
              {t('common.done')}
            </button>
          </div>
        </div>
      )}
      {tokens === null ? null : tokens.length === 0 ? (
        <p className="muted">{t('settings.tokensNone')}</p>
      ) : (
        <ul className="share-list">
          {tokens.map((tk) => (
            <li key={tk.id}>
              <div>
                <strong>{tk.name}</strong> <code>{tk.hint}…</code>
                <span className="muted small">
                  {' '}
                  ·{' '}
                  {tk.scopes.map((sc, i) => (
                    <Fragment key={sc}>
                      {i > 0 && ', '}
                      <span className="scope-name">{sc}</span>
                    </Fragment>
                  ))}{' '}
                  ·{' '}
                  {tk.expiresAt
                    ? t('settings.tokenExpires', { when: formatDateTime(tk.expiresAt) })
                    : t('settings.tokenNeverExpires')}{' '}
                  ·{' '}
                  {tk.lastUsedAt
                    ? t('settings.tokenLastUsed', { when: formatDateTime(tk.lastUsedAt) })
                    : t('settings.tokenNeverUsed')}
                </span>
              </div>
              <button
                type="button"
                className="button button-small button-danger"
                onClick={() => void revoke(tk.id)}
                disabled={busy === tk.id}
              >
                {busy === tk.id ? t('settings.revoking') : t('settings.revoke')}
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
          <label htmlFor={`${id}-name`}>{t('settings.tokenName')}</label>
          <input id={`${id}-name`} value={name} maxLength={80} required onChange={(e) => setName(e.target.value)} />
        </div>
        <fieldset className="field">
          <legend>{t('settings.tokenScopes')}</legend>
          {SCOPES.map((s) => (
            <label key={s} className="checkbox scope-choice">
              <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => toggle(s, e.target.checked)} />
              <span>
                <code className="scope-name">{s}</code> <span className="muted">{t(SCOPE_TEXT[s])}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-days`}>{t('settings.tokenExpiry')}</label>
          <select
            id={`${id}-days`}
            value={days ?? 'never'}
            onChange={(e) => setDays(e.target.value === 'never' ? null : Number(e.target.value))}
          >
            {EXPIRY_CHOICES.map((d) => (
              <option key={d ?? 'never'} value={d ?? 'never'}>
                {d === null ? t('settings.tokenNever') : t('settings.tokenDays', { count: d })}
              </option>
            ))}
          </select>
        </div>
        <button
          type="submit"
          className="button button-primary"
          disabled={busy === 'create' || !name.trim() || scopes.length === 0}
        >
          {busy === 'create' ? t('settings.creating') : t('settings.createToken')}
        </button>
      </form>
    </section>
  );
}
