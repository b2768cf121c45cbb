import { accountRoutes } from './account';
import { adminRoutes } from './admin';
import { authRoutes } from './auth';
import { callsRoutes } from './calls';
import { conversationsRoutes } from './conversations';
import { internalRoutes } from './internal';
import { meRoutes } from './me';
import { memoryRoutes } from './memory';
import { metaRoutes } from './meta';
import { oidcRoutes } from './oidc';
import { sharesRoutes } from './shares';
import { recoveryRoutes } from './recovery';
import { sessionsRoutes } from './sessions';
import { twoFactorRoutes } from './two-factor';
import { passkeysRoutes } from './passkeys';
import { tokensRoutes } from './tokens';
import { webhooksRoutes } from './webhooks';
import { preferencesRoutes } from './preferences';
import type { RouteContract } from './route';
import { voicesRoutes } from './voices';

export * from './route';
export * from './common';
export * from './auth';
export * from './me';
export * from './preferences';
export * from './voices';
export * from './calls';
export * from './conversations';
export * from './account';
export * from './admin';
export * from './meta';
export * from './internal';
export * from './oidc';
export * from './shares';
export * from './memory';
export * from './recovery';
export * from './two-factor';
export * from './sessions';
export * from './passkeys';
export * from './tokens';
export * from './webhooks';

/**
 * Every HTTP route of the gateway, grouped by feature. The OpenAPI document (and docs/api.md) is
 * generated from this list, and the gateway's tests check it serves exactly these routes. A new
 * route: a `defineRoute` in protocol/src/http/<feature>.ts, added to its feature's group here.
 */
export const api = {
  auth: authRoutes,
  recovery: recoveryRoutes,
  twoFactor: twoFactorRoutes,
  sessions: sessionsRoutes,
  passkeys: passkeysRoutes,
  oidc: oidcRoutes,
  me: meRoutes,
  preferences: preferencesRoutes,
  voices: voicesRoutes,
  calls: callsRoutes,
  conversations: conversationsRoutes,
  account: accountRoutes,
  admin: adminRoutes,
  meta: metaRoutes,
  shares: sharesRoutes,
  memory: memoryRoutes,
  tokens: tokensRoutes,
  webhooks: webhooksRoutes,
  internal: internalRoutes,
};

export const HTTP_ROUTES: readonly RouteContract[] = Object.values(api).flatMap((group) =>
  Object.values(group as Record<string, RouteContract>),
);
