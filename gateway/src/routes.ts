import type { Router } from 'express';
import { agentsRouter } from './agents/routes';
import { callsRouter } from './calls/routes';
import { ingestRouter } from './ingest/routes';
import { webhooksRouter } from './webhooks/routes';
import type { AppContext } from './context';

/**
 * Every feature's router, in mount order. A feature lives in gateway/src/<feature>/ and exports
 * `<feature>Router(ctx)`; add it here and nowhere else.
 */
export function featureRouters(ctx: AppContext): Router[] {
  return [agentsRouter(ctx), callsRouter(ctx), ingestRouter(ctx), webhooksRouter(ctx)];
}
