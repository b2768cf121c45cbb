import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { registerUser as registerAccount } from '@parley/testkit/accounts';
import { HISTORY_TEST_ENV, registerUser, seedConversation } from '@parley/testkit/history';
import { loadGatewayConfig } from '../config/config';
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
    const job = startRetentionJob({ retention: gw.ctx.repos.retention, logger: gw.ctx.logger, intervalMs: 60_000 });
    try {
      const [a, b] = await Promise.all([job.runOnce(), job.runOnce()]);
      expect([a.conversations, b.conversations]).toEqual([5, 5]); // the second call joined the running purge
      expect(await db('conversations').where({ user_id: u.id }).first()).toBeUndefined();
      expect(gw.logs.text).toContain('"retention_purge"');
    } finally {
      job.stop();
    }
  });
});

describe('audit retention', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { AUDIT_RETENTION_DAYS: '30' } });
  });
  afterAll(async () => gw?.stop());

  it("purges audit events older than AUDIT_RETENTION_DAYS, a deleted account's pseudonymised ones included", async () => {
    const admin = new TestClient(gw.url);
    const a = await registerAccount(admin, { displayName: 'Keeper of logs' });
    await gw.ctx.repos.users.setRole(a.id, 'admin');
    const leaver = new TestClient(gw.url);
    const u = await registerAccount(leaver);
    expect((await leaver.request('DELETE', '/api/me', { password: u.password })).status).toBe(204);
    const kept = await admin.get(`/api/admin/audit?actor=${u.id}`);
    expect(kept.body.total).toBe(3); // register, email_verification_sent, account_deleted
    const pseudonym = kept.body.events[0].actorPseudonym;
    // The account's registration happened 31 days ago, its deletion 29 days ago (rows aged in place).
    const db = gw.database.db;
    const aged = (type: string, days: number) =>
      db('audit_events')
        .where({ actor_pseudonym: pseudonym, type })
        .update({ created_at: new Date(Date.now() - days * DAY) });
    await aged('register', 31);
    await aged('email_verification_sent', 31);
    await aged('account_deleted', 29);

    const purged = await gw.retention.runOnce();
    expect(purged.auditEvents).toBe(2);
    const left = await admin.get(`/api/admin/audit?actor=${pseudonym}`);
    expect(left.body.events.map((e: { type: string }) => e.type)).toEqual(['account_deleted']);
    // The admin's own fresh events stay.
    expect((await admin.get(`/api/admin/audit?actor=${a.id}`)).body.total).toBeGreaterThan(0);
    expect(gw.logs.text).toContain('"audit_retention_purge"');
    expect((await gw.retention.runOnce()).auditEvents).toBe(0);
  });

  it('refuses a retention that is not a whole number of days from 1', () => {
    for (const bad of ['0', '-1', '1.5', 'forever'])
      expect(() => loadGatewayConfig({ AUDIT_RETENTION_DAYS: bad }), bad).toThrow(/AUDIT_RETENTION_DAYS/);
    expect(loadGatewayConfig({}).auditRetentionDays).toBe(365);
  });
});
