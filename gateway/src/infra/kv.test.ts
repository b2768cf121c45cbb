import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import pino from 'pino';
import { TEST_REDIS_URL } from '@parley/testkit';
import { OwnRedis } from '@parley/testkit/services';
import { freePort } from '@parley/tools';
import { connectRedis } from './redis';
import { MemoryKeyValue, RedisKeyValue, type KeyValue } from './kv';
import type { Redis } from './redis';
import { redisScripts } from './redis-scripts';

let redis: Redis;
const prefix = `kv-test:${randomBytes(4).toString('hex')}:`;
beforeAll(async () => {
  redis = createClient({ url: TEST_REDIS_URL, scripts: redisScripts });
  await redis.connect();
});
afterAll(async () => {
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 }))
    if (keys.length) await redis.del(keys);
  await redis.quit();
});

const item = (seq: number) => JSON.stringify({ seq, text: `t${seq}` });

describe.each([
  ['memory', () => new MemoryKeyValue() as KeyValue],
  ['redis', () => new RedisKeyValue(redis, prefix) as KeyValue],
])('%s KeyValue.appendOnce', (_name, make) => {
  it('appends each member once, in order, whatever the repeats', async () => {
    const kv = make();
    const key = `log:${randomBytes(4).toString('hex')}`;
    const seen = `${key}:seen`;
    expect(await kv.appendOnce(key, seen, '0', item(0), 60_000)).toBe(true);
    expect(await kv.appendOnce(key, seen, '1', item(1), 60_000)).toBe(true);
    expect(await kv.appendOnce(key, seen, '0', item(0), 60_000)).toBe(false);
    // Concurrent appends of one member (two gateways applying one retried batch): one wins.
    const results = await Promise.all(Array.from({ length: 10 }, () => kv.appendOnce(key, seen, '2', item(2), 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await kv.lrange(key)).toEqual([item(0), item(1), item(2)]);
  });
});

describe('redis KeyValue.appendOnce on a list written before its seen set existed', () => {
  it('indexes the list once from its seq fields and sets both expiries', async () => {
    const kv = new RedisKeyValue(redis, prefix);
    const key = `legacy:${randomBytes(4).toString('hex')}`;
    await redis.rPush(prefix + key, [item(0), item(1), 'not json']);
    expect(await kv.appendOnce(key, `${key}:seen`, '1', item(1), 60_000)).toBe(false);
    expect(await kv.appendOnce(key, `${key}:seen`, '2', item(2), 60_000)).toBe(true);
    expect(await kv.lrange(key)).toEqual([item(0), item(1), 'not json', item(2)]);
    for (const k of [key, `${key}:seen`]) {
      const ttl = await redis.pTTL(prefix + k);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
  });
});

describe('redis KeyValue.appendOnce after the server forgot its scripts', () => {
  // A Redis of its own: SCRIPT FLUSH on the shared server would reach every other file's scripts.
  it('sends the script by SHA1, and again in full after SCRIPT FLUSH (a Redis restart)', async () => {
    const own = new OwnRedis(await freePort());
    await own.start();
    const client = await connectRedis(own.url, pino({ level: 'silent' }), 'test');
    try {
      const kv = new RedisKeyValue(client, prefix);
      const key = `flush:${randomBytes(4).toString('hex')}`;
      expect(await kv.appendOnce(key, `${key}:seen`, '0', item(0), 60_000)).toBe(true);
      expect(await client.scriptExists(redisScripts.appendOnce.SHA1)).toEqual([1]);
      await client.scriptFlush();
      expect(await client.scriptExists(redisScripts.appendOnce.SHA1)).toEqual([0]);
      expect(await kv.appendOnce(key, `${key}:seen`, '1', item(1), 60_000)).toBe(true);
      expect(await kv.appendOnce(key, `${key}:seen`, '1', item(1), 60_000)).toBe(false);
      expect(await kv.lrange(key)).toEqual([item(0), item(1)]);
    } finally {
      await client.close();
      await own.kill();
    }
  });
});

describe('memory KeyValue.appendOnce expiry', () => {
  it('forgets the seen members when the seen key expires with the list', async () => {
    const kv = new MemoryKeyValue();
    expect(await kv.appendOnce('l', 'l:seen', '0', item(0), 30)).toBe(true);
    await new Promise((r) => setTimeout(r, 60));
    expect(await kv.lrange('l')).toEqual([]);
    // Both keys are gone: the same member appends again to a new list.
    expect(await kv.appendOnce('l', 'l:seen', '0', item(0), 60_000)).toBe(true);
    expect(await kv.lrange('l')).toEqual([item(0)]);
  });
});
