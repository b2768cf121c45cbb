import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { OidcProviderView } from '@parley/protocol';
import { getSignInProviders } from '../api/identities';

/**
 * "Continue with …" for each sign-in provider the server offers, and nothing at all when it offers
 * none (or cannot say) and has no `extra` (the login page's passkey button) to show above the "or".
 * Plain links: the gateway starts the flow and redirects to the provider.
 */
export function ProviderButtons({ next, extra }: { next?: string | null; extra?: ReactNode }) {
  const { t } = useTranslation();
  const [providers, setProviders] = useState<OidcProviderView[]>([]);
  useEffect(() => {
    let live = true;
    getSignInProviders()
      .then((p) => live && setProviders(p))
      .catch(() => undefined); // no buttons: password sign-in still works
    return () => {
      live = false;
    };
  }, []);
  if (!providers.length && !extra) return null;
  const query = next ? `?next=${encodeURIComponent(next)}` : '';
  return (
    <div className="provider-buttons">
      {providers.map((p) => (
        <a key={p.id} className="button button-block" href={p.startUrl + query}>
          {t('auth.continueWith', { provider: p.displayName })}
        </a>
      ))}
      {extra}
      <p className="divider" aria-hidden="true">
        <span>{t('auth.or')}</span>
      </p>
    </div>
  );
}
