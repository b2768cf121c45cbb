import { IdentityIdParams, IdentityList, LinkStart, OidcProviderList, ProviderIdParams } from '../oidc';
import { z } from 'zod';
import { Password } from './auth';
import { defineRoute } from './route';

export const InitialPasswordBody = z.strictObject({ newPassword: Password });

/** Sign-in with OpenID Connect providers and the signed-in user's linked identities (schemas: ../oidc.ts). */
export const oidcRoutes = {
  providers: defineRoute({
    method: 'get',
    path: '/api/auth/providers',
    summary: 'The OpenID Connect providers offered for sign-in (an empty list when none is configured).',
    response: OidcProviderList,
  }),
  start: defineRoute({
    method: 'get',
    path: '/api/auth/oidc/:provider/start',
    summary:
      'Browser navigation: starts a sign-in (PKCE, state, nonce kept in this session) and redirects (303) to the provider. Optional `next`: a same-origin path to land on.',
    params: ProviderIdParams,
    status: 303,
  }),
  callback: defineRoute({
    method: 'get',
    path: '/api/auth/oidc/:provider/callback',
    summary:
      "The provider's redirect back (the provider's fixed redirect URI). Redirects (303) into the app, or to /login?oidc_error=<code> (link: /settings?oidc_error=<code>) when refused.",
    params: ProviderIdParams,
    status: 303,
  }),
  identities: defineRoute({
    method: 'get',
    path: '/api/me/identities',
    summary: 'Provider accounts linked to the signed-in user, and whether the user has a password.',
    auth: 'user',
    response: IdentityList,
  }),
  link: defineRoute({
    method: 'post',
    path: '/api/me/identities/:provider/link',
    summary: 'Starts linking a provider account to the signed-in user; answers the URL to send the browser to.',
    auth: 'user',
    params: ProviderIdParams,
    response: LinkStart,
    errors: { 503: 'service_unavailable (the provider cannot be reached)' },
  }),
  initialPassword: defineRoute({
    method: 'post',
    path: '/api/me/initial-password',
    summary:
      'Gives a password to an account made through a sign-in provider (it has none), so it can sign in without the provider.',
    auth: 'user',
    body: InitialPasswordBody,
    errors: { 400: 'weak_password', 409: 'password_already_set', 429: 'rate_limited' },
  }),
  unlink: defineRoute({
    method: 'delete',
    path: '/api/me/identities/:id',
    summary: 'Removes a linked identity, unless it is the last way to sign in.',
    auth: 'user',
    params: IdentityIdParams,
    errors: { 409: 'last_sign_in_method (no password and no other linked provider)' },
  }),
};
