/**
 * Why a sign-in or link through an OpenID Connect provider did not happen. The gateway redirects
 * the browser to `/login?oidc_error=<code>` (or the settings page for a link) and the page shows
 * the UI catalogue's text for the code (`oidc.<code>` in `i18n/locales/*`): no text from the URL is
 * ever shown. Kept free of zod so the login page stays small.
 */
export const OIDC_ERROR_CODES = [
  'oidc_state_invalid',
  'oidc_denied',
  'oidc_provider_error',
  'oidc_provider_unreachable',
  'oidc_token_invalid',
  'oidc_email_missing',
  'oidc_account_exists',
  'oidc_identity_in_use',
  'oidc_account_disabled',
  'oidc_link_session_changed',
] as const;

export type OidcErrorCode = (typeof OIDC_ERROR_CODES)[number];

export function isOidcErrorCode(code: string | null | undefined): code is OidcErrorCode {
  return typeof code === 'string' && (OIDC_ERROR_CODES as readonly string[]).includes(code);
}
