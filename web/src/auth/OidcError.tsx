import { isOidcErrorCode, OIDC_ERROR_MESSAGES } from '@parley/protocol/oidc-errors';
import { Alert } from '../components/Alert';

/** Why a provider sign-in or link failed (`?oidc_error=<code>`); the text is ours, never the URL's. */
export function OidcError({ code, title }: { code: string | null; title: string }) {
  if (!code) return null;
  return (
    <Alert title={title}>
      {isOidcErrorCode(code) ? OIDC_ERROR_MESSAGES[code] : 'Signing in with the provider did not work. Try again.'}
    </Alert>
  );
}
