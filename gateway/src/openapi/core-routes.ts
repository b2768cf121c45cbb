import { z } from 'zod';
import { registerRoute } from './registry';

/** Routes of the gateway core (health/) that predate the registry; documented here. */
registerRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness: the process is up.',
  tag: 'health',
  response: z.object({ status: z.literal('ok') }),
});
registerRoute({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: database, sessions, LiveKit and agent, one JSON report (503 when degraded).',
  tag: 'health',
  response: z.object({
    status: z.enum(['ok', 'degraded']),
    components: z.record(z.string(), z.unknown()),
    providers: z.unknown(),
  }),
});
