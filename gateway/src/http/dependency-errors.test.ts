import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createDatabase, type Database } from '@parley/db';
import { OwnRedis, TcpProxy } from '@parley/testkit/services';
import { freePort } from '@parley/tools';
import { connectRedis, type Redis } from '../infra/redis';
import { isDependencyUnavailable } from './dependency-errors';

/** What a promise rejected with (the test fails if it resolved). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.unreachable('expected the call to fail'),
    (err: unknown) => err,
  );
}

describe('isDependencyUnavailable', () => {
  it('recognises errors that only name an unreachable service, and nothing else', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const yes = [
      refused,
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      new AggregateError([refused], 'connect failed'),
      new Error('wrapped', { cause: refused }),
    ];
    const no = [
      new Error('boom'),
      new Error('Socket closed unexpectedly'), // the text alone of a Redis error is not the Redis error
      Object.assign(new Error('duplicate key value'), { code: '23505' }),
      null,
      'ECONNREFUSED',
    ];
    expect(yes.map(isDependencyUnavailable)).toEqual(yes.map(() => true));
    expect(no.map(isDependencyUnavailable)).toEqual(no.map(() => false));
  });
});

// The errors the real drivers raise when the service goes away while a command is in flight, and
// while it stays away: each must be recognised (a miss here is a 500 during an outage).
describe('errors the real drivers raise during an outage', () => {
  const logger = pino({ level: 'silent' });
  let redis: OwnRedis;
  let client: Redis;
  let proxy: TcpProxy;
  let db: Database;

  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    client = await connectRedis(redis.url, logger, 'test');
    proxy = new TcpProxy('127.0.0.1', 5432);
    await proxy.listen();
    db = createDatabase({ url: `postgres://postgres@127.0.0.1:${proxy.port}/test`, poolMax: 2 });
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await redis?.kill();
    await db?.destroy();
    await proxy?.close();
  });

  it('Redis killed with a command in flight, then a command while it is down', async () => {
    // The rejection is awaited from the start: it can arrive before the kill below returns.
    const inFlight = rejection(client.blPop('parley:test:never', 10));
    await new Promise((r) => setTimeout(r, 100));
    await redis.kill('SIGKILL');
    const during = await inFlight;
    const afterwards = await rejection(client.get('parley:test:key'));
    expect([during, afterwards].map(isDependencyUnavailable)).toEqual([true, true]);
  });

  it('Postgres connections reset with a query in flight, then a query while they are refused', async () => {
    await db.raw('select 1'); // a pooled connection exists
    const inFlight = rejection(db.raw('select pg_sleep(5)'));
    await new Promise((r) => setTimeout(r, 200));
    proxy.pause();
    const during = await inFlight;
    const afterwards = await rejection(db.raw('select 1'));
    proxy.resume();
    expect([during, afterwards].map(isDependencyUnavailable)).toEqual([true, true]);
    // and a real error from a reachable server is a bug, not an outage
    expect(isDependencyUnavailable(await rejection(db.raw('select * from no_such_table')))).toBe(false);
  });
});
