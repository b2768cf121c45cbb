import type { RequestHandler } from 'express';
import type session from 'express-session';
import type { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import type { Logger } from 'pino';
import type { Repositories } from '@parley/db';
import type { AgentRegistry } from './agents/registry';
import type { GatewayConfig } from './config/config';
import type { Bus } from './infra/bus';
import type { KeyValue } from './infra/kv';
import type { Mailer } from './mail/mailer';
import type { Redis } from './infra/redis';
import type { GatewayMetrics } from './metrics/metrics';
import type { UserSessions } from './sessions/user-sessions';
import type { WebhookService } from './webhooks/service';

/** Everything a feature needs, built once in server.ts (the composition root). */
export interface AppContext {
  config: GatewayConfig;
  logger: Logger;
  /** Every query goes through these (db/, one repository per aggregate). */
  repos: Repositories;
  /** Command connection when REDIS_URL is set; null in the single-process fallback. */
  redis: Redis | null;
  kv: KeyValue;
  bus: Bus;
  sessionStore: session.Store;
  /** Every session of an account, to end them all at once. */
  userSessions: UserSessions;
  sessionMiddleware: RequestHandler;
  livekit: { rooms: RoomServiceClient; dispatch: AgentDispatchClient };
  agents: AgentRegistry;
  /** Prometheus metrics (gateway/src/metrics), served on GET /metrics. */
  metrics: GatewayMetrics;
  /** Account mail (verification, reset, notices): SMTP, or files in DATA_DIR/mail. */
  mailer: Mailer;
  /** Outgoing webhooks: endpoints and events (queued in the database; server.ts runs the sender). */
  webhooks: WebhookService;
}
