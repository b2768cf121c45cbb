import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { IdentityList, OidcProviderView } from '@parley/protocol';
import { errorMessage } from '../api/client';
import { getIdentities, getSignInProviders, startLink, unlinkIdentity } from '../api/identities';
import { OidcError } from '../auth/OidcError';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';
import { InitialPasswordForm } from './InitialPasswordForm';

/**
 * Settings → Security: the provider accounts linked to this account, each removable while another
 * way to sign in remains, and a button to link each provider the server offers. Hidden when the
 * server offers no provider and nothing is linked.
 */
export function SecuritySection({ linked, oidcError }: { linked: string | null; oidcError: string | null }) {
  const { t } = useTranslation();
  const id = useId();
  const ref = useRef<HTMLElement>(null);
  const [data, setData] = useState<IdentityList | null>(null);
  const [providers, setProviders] = useState<OidcProviderView[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [list, offered] = await Promise.all([getIdentities(), getSignInProviders().catch(() => [])]);
      setData(list);
      setProviders(offered);
    } catch (err) {
      setMessage(errorMessage(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (data && (linked || oidcError) && window.location.hash === '#security') ref.current?.scrollIntoView();
  }, [data, linked, oidcError]);

  if (!data && !message) return null;
  if (data && !data.identities.length && !providers.length) return null;

  const identities = data?.identities ?? [];
  const onlyWay = data !== null && !data.hasPassword && identities.length === 1;
  const linkedName = providers.find((p) => p.id === linked)?.displayName ?? linked;
  const linkable = providers.filter((p) => !identities.some((i) => i.provider === p.id));

  const link = async (providerId: string) => {
    setBusy(providerId);
    setMessage(null);
    try {
      window.location.assign(await startLink(providerId));
    } catch (err) {
      setMessage(errorMessage(err));
      setBusy(null);
    }
  };
  const unlink = async (identityId: string) => {
    setBusy(identityId);
    setMessage(null);
    try {
      await unlinkIdentity(identityId);
      await load();
    } catch (err) {
      setMessage(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section id="security" className="card" ref={ref} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('settings.securityTitle')}</h2>
      <OidcError code={oidcError} title={t('settings.linkFailed')} />
      {linked && !oidcError && <Alert tone="success">{t('settings.linkedNow', { provider: linkedName })}</Alert>}
      {message && <Alert>{message}</Alert>}
      <h3>{t('settings.providersTitle')}</h3>
      {identities.length ? (
        <ul className="identity-list">
          {identities.map((i) => (
            <li key={i.id}>
              <div>
                <strong>{i.providerName}</strong>
                {i.email && <span className="muted"> · {i.email}</span>}
                <div className="muted small">
                  {t('settings.linkedAt', { when: formatDateTime(i.linkedAt) })}
                  {i.lastUsedAt && <> · {t('settings.lastUsedAt', { when: formatDateTime(i.lastUsedAt) })}</>}
                </div>
              </div>
              <button
                type="button"
                className="button button-small"
                disabled={onlyWay || busy !== null}
                aria-label={
                  i.email
                    ? t('settings.removeProviderEmail', { provider: i.providerName, email: i.email })
                    : t('settings.removeProvider', { provider: i.providerName })
                }
                onClick={() => void unlink(i.id)}
              >
                {t('settings.remove')}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">{t('settings.noProvider')}</p>
      )}
      {onlyWay && <p className="muted small">{t('settings.onlyWay')}</p>}
      {data && !data.hasPassword && <InitialPasswordForm onDone={() => void load()} />}
      {linkable.length > 0 && (
        <div className="button-row">
          {linkable.map((p) => (
            <button
              key={p.id}
              type="button"
              className="button"
              disabled={busy !== null}
              onClick={() => void link(p.id)}
            >
              {t('settings.linkProvider', { provider: p.displayName })}
            </button>
          ))}
        </div>
      )}
    </section>
  );
}
