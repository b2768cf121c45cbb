import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadGatewayConfig, startGateway, type RunningGateway } from '@parley/gateway';
import { createTestDatabase, type TestDatabase } from './db';
import { LogCapture } from './log-capture';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_INGEST_SECRET = 'test-ingest-secret-0123456789abcdefghijklmnop';

export interface TestGatewayOptions {
  /** Extra environment (e.g. LIVEKIT_URL of a test server). */
  env?: Record<string, string | undefined>;
  /** false: the single-process fallback (no Redis). */
  redis?: boolean;
  /** Reuse a database (two gateways over one database); otherwise a fresh one is made. */
  database?: TestDatabase;
  /** Share a Redis key prefix with another gateway (cross-process fan-out tests). */
  redisPrefix?: string;
}

export interface TestGateway extends RunningGateway {
  database: TestDatabase;
  logs: LogCapture;
  redisPrefix: string;
  /** Stops the gateway and drops its database (unless it was passed in). */
  stop(): Promise<void>;
}

/** The real gateway app in-process on port 0, with real Postgres and (by default) real Redis. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const ownsDb = !options.database;
  const database = options.database ?? (await createTestDatabase());
  const redisPrefix = options.redisPrefix ?? `parley-test:${randomBytes(4).toString('hex')}:`;
  // Mail without SMTP_URL goes to DATA_DIR/mail: a folder of this gateway's own.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-gw-'));
  const config = loadGatewayConfig({
    DATA_DIR: dataDir,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.url,
    REDIS_URL: options.redis === false ? undefined : TEST_REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    SESSION_SECRET: 'test-session-secret-0123456789abcdefghijkl',
    INGEST_SECRET: TEST_INGEST_SECRET,
    LIVEKIT_URL: 'ws://127.0.0.1:1',
    ...options.env,
  });
  const logs = new LogCapture();
  const gw = await startGateway(config, { logger: pino({ level: 'info' }, logs), db: database.db, migrate: false });
  return {
    ...gw,
    database,
    logs,
    redisPrefix,
    async stop() {
      await gw.close();
      if (ownsDb) await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
