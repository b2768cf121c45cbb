import type { IdentityList, OidcProviderView } from '@parley/protocol';
import { api } from './client';

/** The sign-in providers this server offers (an empty list when none is configured). Public. */
export async function getSignInProviders(): Promise<OidcProviderView[]> {
  return (await api.get<{ providers: OidcProviderView[] }>('/api/auth/providers')).providers;
}

export const getIdentities = () => api.get<IdentityList>('/api/me/identities');

/** Starts linking: the browser then goes to the provider and comes back to Settings → Security. */
export async function startLink(providerId: string): Promise<string> {
  const r = await api.post<{ authorizationUrl: string }>(`/api/me/identities/${encodeURIComponent(providerId)}/link`);
  return r.authorizationUrl;
}

export const unlinkIdentity = (id: string) => api.del(`/api/me/identities/${encodeURIComponent(id)}`);

/** The first password of an account made through a provider (it has none). */
export const setInitialPassword = (newPassword: string) => api.post<void>('/api/me/initial-password', { newPassword });
