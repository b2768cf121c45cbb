import type { OidcProviderView } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { call } from './client';

/** The sign-in providers this server offers (an empty list when none is configured). Public. */
export async function getSignInProviders(): Promise<OidcProviderView[]> {
  return (await call(api.oidc.providers)).providers;
}

export const getIdentities = () => call(api.oidc.identities);

/** Starts linking: the browser then goes to the provider and comes back to Settings → Security. */
export async function startLink(providerId: string): Promise<string> {
  return (await call(api.oidc.link, { params: { provider: providerId }, body: {} })).authorizationUrl;
}

export const unlinkIdentity = (id: string) => call(api.oidc.unlink, { params: { id } });

/** The first password of an account made through a provider (it has none). */
export const setInitialPassword = (newPassword: string) => call(api.oidc.initialPassword, { body: { newPassword } });
