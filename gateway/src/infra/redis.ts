import { createClient, type RedisClientType, type RedisDefaultModules } from 'redis';
import type { Logger } from 'pino';
import { redisScripts } from './redis-scripts';

export type Redis = RedisClientType<RedisDefaultModules, Record<string, never>, typeof redisScripts>;

/**
 * A node-redis client that reconnects forever with capped backoff and never throws on a lost
 * connection (commands issued while down fail fast instead of queueing without bound).
 */
export async function connectRedis(url: string, logger: Logger, name: string): Promise<Redis> {
  const client = createClient({
    url,
    scripts: redisScripts,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000), connectTimeout: 5000 },
  }) as Redis;
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) logger.warn({ err: { message: err.message }, client: name }, 'redis connection error');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info({ client: name }, 'redis connection restored');
    down = false;
  });
  await client.connect();
  return client;
}
