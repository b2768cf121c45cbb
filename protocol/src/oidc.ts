import { z } from 'zod';

export * from './oidc-errors';

/** GET /api/auth/providers: the sign-in providers to show as buttons (empty when none is configured). */
export const OidcProviderView = z.object({
  id: z.string(),
  displayName: z.string(),
  /** Where the browser goes to start a sign-in: GET, add `?next=/path` to come back somewhere. */
  startUrl: z.string(),
});
export const OidcProviderList = z.object({ providers: z.array(OidcProviderView) });
export type OidcProviderView = z.infer<typeof OidcProviderView>;

/** A provider account linked to the signed-in user (GET /api/me/identities). */
export const IdentityView = z.object({
  id: z.string().uuid(),
  provider: z.string(),
  /** The provider's display name, or the stored id when the provider is no longer configured. */
  providerName: z.string(),
  email: z.string().nullable(),
  linkedAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export type IdentityView = z.infer<typeof IdentityView>;
export const IdentityList = z.object({
  identities: z.array(IdentityView),
  /** False for accounts created through a provider: the last identity cannot be removed. */
  hasPassword: z.boolean(),
});
export type IdentityList = z.infer<typeof IdentityList>;

/** POST /api/me/identities/:provider/link answers where to send the browser. */
export const LinkStart = z.object({ authorizationUrl: z.string().url() });
export const IdentityIdParams = z.object({ id: z.string().uuid() });
export const ProviderIdParams = z.object({ provider: z.string().regex(/^[a-z0-9-]{1,40}$/) });
