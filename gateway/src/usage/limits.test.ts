import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CallMetadata } from '@parley/protocol';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { createUser, signedInClient } from '@parley/testkit/accounts';
import { ingest } from '@parley/testkit/calls';

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
const limitsOf = (token: string) => CallMetadata.parse(JSON.parse(claims(token).roomConfig.agents[0].metadata)).limits;

describe('call limits: daily minutes and maximum call length', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { QUOTA_MINUTES_PER_DAY: '2', MAX_CALL_SECONDS: '300' } });
  });
  afterAll(async () => gw?.stop());
  afterEach(() => vi.useRealTimers());

  it("dispatches each call with what is left of the day's minutes, then refuses with 429 quota_exceeded until midnight UTC", async () => {
    // The clock (Date only; timers stay real) stands at today's noon UTC, so the calls recorded 90 s
    // and 31 s before "now" fall inside one UTC day whatever the hour the test runs at.
    const real = new Date();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(real.getUTCFullYear(), real.getUTCMonth(), real.getUTCDate(), 12));
    const userId = await createUser(gw);
    const c = await signedInClient(gw, userId);
    const first = await c.post('/api/calls', {});
    expect(first.status).toBe(201);
    // 2 minutes a day is less than the 300 s maximum call length.
    expect(limitsOf(first.body.token)).toEqual({ maxCallSeconds: 120, warnSeconds: 60 });
    const now = Date.now();
    await ingest(gw.url, first.body.conversationId, [
      { type: 'call_started', at: new Date(now - 90_000).toISOString() },
      { type: 'call_ended', at: new Date(now).toISOString(), reason: 'caller_left' },
    ]);
    const second = await c.post('/api/calls', {});
    expect(second.status).toBe(201);
    expect(limitsOf(second.body.token)!.maxCallSeconds).toBeGreaterThanOrEqual(29);
    expect(limitsOf(second.body.token)!.maxCallSeconds).toBeLessThanOrEqual(30);
    // A call in progress counts up to now: 31 s into it the day's minutes are gone.
    await ingest(gw.url, second.body.conversationId, [
      { type: 'call_started', at: new Date(Date.now() - 31_000).toISOString() },
    ]);
    const refused = await c.post('/api/calls', {});
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('quota_exceeded');
    const d = new Date();
    const resetsAt = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)).toISOString();
    expect(refused.body.error.details).toMatchObject({ limitMinutes: 2, resetsAt });
    expect(refused.body.error.details.usedMinutes).toBeGreaterThanOrEqual(2);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Math.abs(retryAfter - (Date.parse(resetsAt) - Date.now()) / 1000)).toBeLessThan(60);
    // Nothing was created for the refused call.
    const calls = await gw.database.db('conversations').where({ user_id: userId });
    expect(calls).toHaveLength(2);

    // The window is the UTC day: once both calls are yesterday's, the whole quota is back.
    const yesterday = (ms: number) => new Date(Date.parse(resetsAt) - 86_400_000 - ms);
    await gw.database
      .db('conversations')
      .where({ user_id: userId })
      .update({ started_at: yesterday(60_000), ended_at: yesterday(1000), status: 'ended', duration_ms: 59_000 });
    const nextDay = await c.post('/api/calls', {});
    expect(nextDay.status, nextDay.text).toBe(201);
    expect(limitsOf(nextDay.body.token)).toEqual({ maxCallSeconds: 120, warnSeconds: 60 });
  });

  it('refuses to start with the old monthly setting, naming the daily one', async () => {
    const { loadGatewayConfig } = await import('../config/config');
    expect(() => loadGatewayConfig({ ...process.env, QUOTA_MINUTES_PER_MONTH: '300' })).toThrow(
      /QUOTA_MINUTES_PER_DAY/,
    );
  });

  it("takes the account's own limits over the defaults, and gives guests the maximum call length", async () => {
    const userId = await createUser(gw);
    const c = await signedInClient(gw, userId);
    await gw.database.db('users').where({ id: userId }).update({ quota_minutes_per_day: 600, max_call_seconds: 45 });
    expect(limitsOf((await c.post('/api/calls', {})).body.token)).toEqual({ maxCallSeconds: 45, warnSeconds: 60 });
    await gw.database.db('users').where({ id: userId }).update({ quota_minutes_per_day: 0 });
    const refused = await c.post('/api/calls', {});
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'quota_exceeded', details: { limitMinutes: 0 } });

    const guest = await new TestClient(gw.url).post('/api/calls', {});
    expect(guest.status).toBe(201);
    expect(limitsOf(guest.body.token)).toEqual({ maxCallSeconds: 300, warnSeconds: 60 });
  });
});

describe('the guest cap per IP', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { GUEST_CALLS_PER_IP_PER_DAY: '2' } });
  });
  afterAll(async () => gw?.stop());

  it('refuses a network’s third guest call of the day with 429 guest_limit_reached; other networks and signed-in callers go on', async () => {
    const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
    const guestCall = (ip: string) => new TestClient(gw.url).post('/api/calls', {}, from(ip));
    expect((await guestCall('198.51.100.7')).status).toBe(201);
    expect((await guestCall('198.51.100.7')).status).toBe(201);
    const refused = await guestCall('198.51.100.7');
    expect(refused.status, refused.text).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'guest_limit_reached', details: { limit: 2 } });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(86_000);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(Date.parse(refused.body.error.details.resetsAt) - Date.now()).toBeGreaterThan(85_000_000);

    // Another network, and a signed-in caller on the capped one, are not refused by it.
    expect((await guestCall('203.0.113.9')).status).toBe(201);
    const userId = await createUser(gw);
    const member = await signedInClient(gw, userId);
    expect((await member.post('/api/calls', {}, from('198.51.100.7'))).status).toBe(201);
    expect((await guestCall('198.51.100.7')).body.error.code).toBe('guest_limit_reached');
  });
});
