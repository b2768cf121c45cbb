import { z } from 'zod';
import { defineRoute } from './route';

/** Health probes (outside /api: operators' conventions, not the envelope rule) and this document. */
export const metaRoutes = {
  healthz: defineRoute({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process is up.',
    tag: 'health',
    response: z.object({ status: z.literal('ok') }),
  }),
  readyz: defineRoute({
    method: 'get',
    path: '/readyz',
    summary:
      "Readiness: database, sessions, LiveKit, agent, speech engines and provider failover, one JSON report (503 when a component is down; 200 with status 'degraded' while a failed provider's fallback serves calls).",
    tag: 'health',
    response: z.object({
      status: z.enum(['ok', 'degraded']),
      components: z.record(z.string(), z.unknown()),
      providers: z.unknown(),
    }),
  }),
  openapi: defineRoute({
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This OpenAPI 3.1 document.',
    tag: 'meta',
  }),
};
