import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import type { Logger } from 'pino';
import { createDatabase, createRepositories, lockDataDir, migrateLatest, type Database } from '@parley/db';
import { AgentRegistry } from './agents/registry';
import { createApp } from './app';
import { AbandonedCalls } from './calls/abandoned';
import { CallDirectory } from './calls/directory';
import type { GatewayConfig } from './config/config';
import type { AppContext } from './context';
import { LocalBus, RedisBus, type Bus } from './infra/bus';
import { MemoryKeyValue, RedisKeyValue } from './infra/kv';
import { connectRedis, type Redis } from './infra/redis';
import { createLogger } from './http/logger';
import { createMailer } from './mail/mailer';
import { createSessionMiddleware, createSessionStore } from './sessions/session';
import { UserSessions } from './sessions/user-sessions';
import { startRetentionJob, type RetentionJob } from './retention/purge';
import { attachUpgradeHandlers } from './upgrades';
import { createGatewayMetrics } from './metrics/metrics';
import { startMetricsListener } from './metrics/routes';
import { DeliveryWorker } from './webhooks/delivery';
import { WebhookService } from './webhooks/service';

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  ctx: AppContext;
  /** The private metrics listener's URL (METRICS_PORT), or null. */
  metricsUrl: string | null;
  /** The hourly retention purge: conversations and audit events (tests run it with `runOnce()`). */
  retention: RetentionJob;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Use this database instead of opening one from config (tests share one). */
  db?: Database;
  migrate?: boolean;
}

function httpUrl(wsUrl: string): string {
  return wsUrl.replace(/^ws(s?):\/\//, 'http$1://');
}

/** The composition root: builds every dependency once, then the HTTP server and WebSocket upgrades. */
export async function startGateway(config: GatewayConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const ownsDb = !options.db;
  const embeddedDir = ownsDb && !config.database.url ? `${config.database.dataDir}/pg` : undefined;
  // PGlite serves one process per folder: a backup or restore (or a second gateway) must wait.
  const releaseDataDir = embeddedDir ? lockDataDir(embeddedDir, 'the Parley gateway') : () => {};
  const db =
    options.db ??
    createDatabase({
      url: config.database.url,
      dataDir: embeddedDir,
    });
  if (options.migrate ?? ownsDb) {
    const t = performance.now();
    const applied = await migrateLatest(db);
    logger.info(
      {
        applied: applied.length,
        ms: Math.round(performance.now() - t),
        database: config.database.url ? 'postgres' : 'embedded',
      },
      'database migrations done',
    );
  }

  let redis: Redis | null = null;
  let redisSub: Redis | null = null;
  let bus: Bus;
  if (config.redis.url) {
    redis = await connectRedis(config.redis.url, logger, 'command');
    redisSub = await connectRedis(config.redis.url, logger, 'subscriber');
    bus = new RedisBus(redis, redisSub, config.redis.prefix);
  } else {
    bus = new LocalBus();
  }
  const kv = redis ? new RedisKeyValue(redis, config.redis.prefix) : new MemoryKeyValue();
  const repos = createRepositories(db);
  const sessionStore = createSessionStore(config, db, redis, logger);
  const lkHttp = httpUrl(config.livekit.url);
  const ctx: AppContext = {
    config,
    logger,
    repos,
    redis,
    kv,
    bus,
    sessionStore,
    userSessions: new UserSessions(sessionStore, config.session.absoluteMs + config.session.idleMs),
    sessionMiddleware: createSessionMiddleware(config, sessionStore),
    livekit: {
      rooms: new RoomServiceClient(lkHttp, config.livekit.apiKey, config.livekit.apiSecret),
      dispatch: new AgentDispatchClient(lkHttp, config.livekit.apiKey, config.livekit.apiSecret),
    },
    agents: new AgentRegistry(kv),
    metrics: createGatewayMetrics(),
    mailer: createMailer({ ...config.mail, dataDir: config.database.dataDir, announce: config.env !== 'test' }, logger),
    webhooks: new WebhookService(repos, config, logger),
  };
  const webhookDelivery = new DeliveryWorker(repos, ctx.webhooks, config.webhooks, logger, ctx.mailer);
  ctx.webhooks.onQueued = () => webhookDelivery.wake();
  ctx.metrics.sources.activeCalls = () => repos.conversations.countActive();
  ctx.metrics.sources.dependencies = async () => {
    const ok = (p: Promise<unknown>) =>
      Promise.race([p, new Promise((_, reject) => setTimeout(reject, 1000).unref())]).then(
        () => true,
        () => false,
      );
    const [database, redisUp] = await Promise.all([ok(repos.ping()), redis ? ok(kv.ping()) : null]);
    return redisUp === null ? { database } : { database, redis: redisUp };
  };

  const app = createApp(ctx);
  const server = createServer(app);
  const closeUpgrades = attachUpgradeHandlers(server, ctx);
  const retention = startRetentionJob({
    retention: repos.retention,
    audit: { events: repos.audit, days: config.auditRetentionDays },
    logger,
    onPurged: (purged) => ctx.webhooks.conversationsPurged(purged),
  });
  webhookDelivery.start();
  const abandonedCalls = new AbandonedCalls(ctx, new CallDirectory(repos, kv, ctx.metrics.calls), config.callerGone);
  abandonedCalls.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const metricsListener = await startMetricsListener(ctx);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  if (metricsListener) logger.info({ url: metricsListener.url }, 'metrics listening');
  logger.info({ url, database: config.database.url ? 'postgres' : 'embedded', redis: !!redis }, 'gateway listening');

  let closed = false;
  return {
    url,
    port,
    server,
    ctx,
    metricsUrl: metricsListener?.url ?? null,
    retention,
    async close() {
      if (closed) return;
      closed = true;
      retention.stop();
      abandonedCalls.stop();
      await webhookDelivery.stop();
      ctx.mailer.close();
      sessionStore.close?.();
      await closeUpgrades();
      await metricsListener?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bus.close();
      for (const c of [redisSub, redis]) if (c?.isOpen) await c.quit().catch(() => c.destroy());
      if (ownsDb) await db.destroy();
      releaseDataDir();
    },
  };
}
