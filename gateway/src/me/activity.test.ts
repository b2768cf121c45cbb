import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { registerUser, STRONG_PASSWORD } from '@parley/testkit/accounts';

interface Ev {
  id: string;
  type: string;
  at: string;
  ip: string | null;
  device: string | null;
  byAdmin: boolean;
}

describe('GET /api/me/activity: the signed-in account’s own security activity', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.stop());

  it('lists the own sign-ins, failures, changes, export and admin actions, newest first; never another account’s events or a secret', async () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
    const me = new TestClient(gw.url);
    const mine = await registerUser(me);
    const other = new TestClient(gw.url);
    const theirs = await registerUser(other);
    const admin = new TestClient(gw.url);
    const root = await registerUser(admin);
    await gw.ctx.repos.users.setRole(root.id, 'admin');

    // Mine: a failed sign-in, a sign-in from Firefox, a password change, an export; an admin's limit change.
    expect(
      (await new TestClient(gw.url).post('/api/auth/login', { email: mine.email, password: 'Wrong-pass-123' })).status,
    ).toBe(401);
    const firefox = new TestClient(gw.url);
    const signIn = await firefox.post(
      '/api/auth/login',
      { email: mine.email, password: STRONG_PASSWORD },
      { headers: { 'user-agent': ua } },
    );
    expect(signIn.status).toBe(200);
    const newPassword = 'amber-quarry-whistle-63';
    expect((await me.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword })).status).toBe(204);
    expect((await me.get('/api/me/export')).status).toBe(200);
    expect((await admin.patch(`/api/admin/users/${mine.id}`, { maxCallSeconds: 600 })).status).toBe(200);
    // Theirs: a failed sign-in, a password change and an export; the admin's own sign-in events.
    expect(
      (await new TestClient(gw.url).post('/api/auth/login', { email: theirs.email, password: 'Wrong-pass-456' }))
        .status,
    ).toBe(401);
    expect((await other.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword })).status).toBe(204);
    expect((await other.get('/api/me/export')).status).toBe(200);

    const r = await me.get('/api/me/activity');
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toContain('no-store');
    const events: Ev[] = r.body.events;
    expect(events.map((e) => e.type)).toEqual([
      'admin_limits_change',
      'data_export',
      'password_change',
      'new_device_notice',
      'login',
      'login_failed',
      'email_verification_sent',
      'register',
    ]);
    expect(events[0]!.byAdmin).toBe(true);
    expect(events.slice(1).every((e) => !e.byAdmin)).toBe(true);
    expect(events.find((e) => e.type === 'login')!.device).toBe('Firefox on Linux');
    for (const e of events) {
      expect(Date.parse(e.at)).toBeGreaterThan(Date.now() - 60_000);
      // Coarse only: an IPv4 /24 ("127.0.0.x") or an IPv6 /48, never the full address.
      expect(e.ip === null || /\.x$|::\/48$|::$/.test(e.ip), String(e.ip)).toBe(true);
      expect(Object.keys(e).sort()).toEqual(['at', 'byAdmin', 'device', 'id', 'ip', 'type']);
    }

    // Another account's events never appear, and the same holds the other way.
    const theirIds = new Set((await gw.ctx.repos.audit.list(theirs.id)).map((e) => e.id));
    expect(theirIds.size).toBeGreaterThanOrEqual(5);
    expect(events.filter((e) => theirIds.has(e.id))).toEqual([]);
    const theirList: Ev[] = (await other.get('/api/me/activity')).body.events;
    expect(theirList.map((e) => e.type)).toEqual([
      'data_export',
      'password_change',
      'login_failed',
      'email_verification_sent',
      'register',
    ]);
    // The admin's own list does not show what it did to other accounts.
    const rootList: Ev[] = (await admin.get('/api/me/activity')).body.events;
    expect(rootList.map((e) => e.type)).toEqual(['email_verification_sent', 'register']);
    const mineIds = new Set(events.map((e) => e.id));
    expect([...theirList, ...rootList].filter((e) => mineIds.has(e.id))).toEqual([]);

    // No secret, email or admin identity in the answer.
    for (const text of [r.text]) {
      for (const secret of [STRONG_PASSWORD, newPassword, 'Wrong-pass-123', mine.email, root.email, root.id, 'scrypt'])
        expect(text).not.toContain(secret);
    }
  });

  it('answers 401 with a JSON code when nobody is signed in', async () => {
    const r = await new TestClient(gw.url).get('/api/me/activity');
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthenticated');
  });
});
