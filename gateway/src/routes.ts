import type { Router } from 'express';
import { agentsRouter } from './agents/routes';
import { callsRouter } from './calls/routes';
import { ingestRouter } from './ingest/routes';
import { livekitEventsRouter } from './livekit-events/routes';
import { webhooksRouter } from './webhooks/routes';
import { conversationsRouter } from './conversations/routes';
import { accountDataRouter } from './account-data/routes';
import { retentionRouter } from './retention/routes';
import { usageRouter } from './usage/routes';
import { authRouter } from './auth/routes';
import { oidcRouter } from './oidc/routes';
import { meRouter } from './me/routes';
import { preferencesRouter } from './preferences/routes';
import { voicesRouter } from './voices/routes';
import { adminRouter } from './admin/routes';
import { openapiRouter } from './openapi/routes';
import { sharesRouter } from './shares/routes';
import { memoryRouter } from './memory/routes';
import { recoveryRouter } from './recovery/routes';
import { twoFactorRouter } from './two-factor/routes';
import { sessionsRouter } from './sessions/routes';
import { passkeysRouter } from './passkeys/routes';
import { tokensRouter } from './tokens/routes';
import type { AppContext } from './context';

/**
 * Every feature's router, in mount order. A feature lives in gateway/src/<feature>/ and exports
 * `<feature>Router(ctx)`; add it here and nowhere else.
 */
export function featureRouters(ctx: AppContext): Router[] {
  return [
    authRouter(ctx),
    recoveryRouter(ctx),
    twoFactorRouter(ctx),
    sessionsRouter(ctx),
    passkeysRouter(ctx),
    oidcRouter(ctx),
    meRouter(ctx),
    preferencesRouter(ctx),
    voicesRouter(ctx),
    adminRouter(ctx),
    openapiRouter(ctx),
    agentsRouter(ctx),
    callsRouter(ctx),
    ingestRouter(ctx),
    livekitEventsRouter(ctx),
    conversationsRouter(ctx),
    accountDataRouter(ctx),
    retentionRouter(ctx),
    usageRouter(ctx),
    sharesRouter(ctx),
    memoryRouter(ctx),
    tokensRouter(ctx),
    webhooksRouter(ctx),
  ];
}
