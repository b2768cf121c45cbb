import { useTranslation } from 'react-i18next';
import { isOidcErrorCode } from '@parley/protocol/oidc-errors';
import { Alert } from '../components/Alert';

/** Why a provider sign-in or link failed (`?oidc_error=<code>`); the text is ours, never the URL's. */
export function OidcError({ code, title }: { code: string | null; title: string }) {
  const { t } = useTranslation();
  if (!code) return null;
  return <Alert title={title}>{isOidcErrorCode(code) ? t(`oidc.${code}`) : t('auth.oidcFailed')}</Alert>;
}
