import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { HISTORY_TEST_ENV, registerUser, seedConversation } from '@parley/testkit/history';
import { purgeExpiredConversations, startRetentionJob } from './purge';

const DAY = 86_400_000;

describe('retention', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: HISTORY_TEST_ENV });
  });
  afterAll(async () => gw?.stop());

  it('stores the setting (days or null) and validates it', async () => {
    const u = await registerUser(gw, 'keeper');
    expect((await u.client.get('/api/me/retention')).body).toEqual({ retentionDays: null });
    expect((await u.client.put('/api/me/retention', { days: 30 })).body).toEqual({ retentionDays: 30 });
    expect((await u.client.get('/api/me/retention')).body).toEqual({ retentionDays: 30 });
    for (const bad of [{ days: 0 }, { days: 1.5 }, { days: '30' }, { days: 99999 }, {}])
      expect((await u.client.put('/api/me/retention', bad)).status, JSON.stringify(bad)).toBe(400);
    expect((await u.client.put('/api/me/retention', { days: null })).body).toEqual({ retentionDays: null });
  });

  it("purges only conversations past their owner's retention, never active ones or other users'", async () => {
    const db = gw.database.db;
    const now = new Date('2025-06-30T12:00:00Z');
    const short = await registerUser(gw, 'short');
    const forever = await registerUser(gw, 'forever');
    await short.client.put('/api/me/retention', { days: 7 });
    const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY);
    const old = await seedConversation(db, short.id, { createdAt: at(10), turns: [{ role: 'user', text: 'old' }] });
    // Created long ago but ended recently: age counts from the end.
    const endedRecently = await seedConversation(db, short.id, { createdAt: at(9), endedAt: at(2) });
    const fresh = await seedConversation(db, short.id, { createdAt: at(3) });
    const active = await seedConversation(db, short.id, { createdAt: at(30), status: 'active', endedAt: null });
    const othersOld = await seedConversation(db, forever.id, { createdAt: at(400) });

    expect(await purgeExpiredConversations(gw.ctx.repos.retention, now)).toBe(1);
    const left = (await db('conversations').whereIn('user_id', [short.id, forever.id]).pluck('id')).sort();
    expect(left).toEqual([endedRecently, fresh, active, othersOld].sort());
    expect(await db('utterances').where({ conversation_id: old }).first()).toBeUndefined();
    expect(await purgeExpiredConversations(gw.ctx.repos.retention, now)).toBe(0);
    await short.client.put('/api/me/retention', { days: null });
  });

  it('runs as a non-overlapping job the gateway timer calls', async () => {
    const db = gw.database.db;
    const u = await registerUser(gw, 'batch');
    await u.client.put('/api/me/retention', { days: 1 });
    for (let i = 0; i < 5; i++) await seedConversation(db, u.id, { createdAt: new Date(Date.now() - 5 * DAY) });
    const job = startRetentionJob(gw.ctx.repos.retention, gw.ctx.logger, 60_000);
    try {
      const [a, b] = await Promise.all([job.runOnce(), job.runOnce()]);
      expect([a, b]).toEqual([5, 5]); // the second call joined the running purge
      expect(await db('conversations').where({ user_id: u.id }).first()).toBeUndefined();
      expect(gw.logs.text).toContain('"retention_purge"');
    } finally {
      job.stop();
    }
  });
});
