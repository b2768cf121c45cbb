/**
 * Why a sign-in or link through an OpenID Connect provider did not happen. The gateway redirects
 * the browser to `/login?oidc_error=<code>` (or the settings page for a link) and the page shows
 * the message for the code: no text from the URL is ever shown. Kept free of zod so the login page
 * stays small.
 */
export const OIDC_ERROR_MESSAGES = {
  oidc_state_invalid: 'This sign-in link has expired or was already used. Start again from this page.',
  oidc_denied: 'Sign-in was cancelled at the provider, or the provider refused it.',
  oidc_provider_error: 'The provider could not complete the sign-in. Try again, or use another way to sign in.',
  oidc_provider_unreachable: 'The provider could not be reached. Try again in a moment.',
  oidc_token_invalid: 'The provider’s answer could not be verified, so nobody was signed in.',
  oidc_email_missing: 'The provider did not share an email address, which Parley needs for an account.',
  oidc_account_exists:
    'An account with this email already exists. Log in with your password, then link the provider in Settings → Security.',
  oidc_identity_in_use: 'That provider account is already linked to another Parley account.',
  oidc_account_disabled: 'This account has been disabled by an administrator. Contact them to enable it.',
  oidc_link_session_changed: 'You were signed out or switched accounts during linking. Sign in and try again.',
} as const;

export type OidcErrorCode = keyof typeof OIDC_ERROR_MESSAGES;

export function isOidcErrorCode(code: string | null | undefined): code is OidcErrorCode {
  return typeof code === 'string' && Object.hasOwn(OIDC_ERROR_MESSAGES, code);
}
