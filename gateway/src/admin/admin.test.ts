import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { registerUser, STRONG_PASSWORD } from '@parley/testkit/accounts';
import { ingest } from '@parley/testkit/calls';

describe('admin routes', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.stop());

  it('lets an admin list users and conversations read-only; 404 for users and anonymous callers', async () => {
    const admin = new TestClient(gw.url);
    const a = await registerUser(admin, { displayName: 'Admin' });
    const userClient = new TestClient(gw.url);
    const u = await registerUser(userClient, { displayName: 'Plain' });
    await gw.ctx.repos.users.setRole(a.id, 'admin');
    const convId = randomUUID();
    await gw.ctx.repos.conversations.create({ id: convId, userId: u.id, room: `room-${convId}`, language: 'en' });

    for (const path of ['/api/admin/users', '/api/admin/conversations', '/api/admin/anything']) {
      const asUser = await userClient.get(path);
      expect(asUser.status, path).toBe(404);
      expect(asUser.body).toEqual({ error: { code: 'not_found', message: 'Route not found.' } });
      expect((await new TestClient(gw.url).get(path)).status, path).toBe(404);
    }

    const users = await admin.get('/api/admin/users?limit=10');
    expect(users.status).toBe(200);
    expect(users.body.total).toBe(2);
    expect(users.body.users.map((x: { id: string }) => x.id).sort()).toEqual([a.id, u.id].sort());
    expect(users.body.users.find((x: { id: string }) => x.id === a.id).role).toBe('admin');
    expect(users.text).not.toMatch(/scrypt|argon2|password|epoch/i);

    const convs = await admin.get(`/api/admin/conversations?userId=${u.id}`);
    expect(convs.status).toBe(200);
    expect(convs.body).toMatchObject({
      total: 1,
      conversations: [{ id: convId, userId: u.id, userEmail: u.email, status: 'created', turnCount: 0 }],
    });
    expect((await admin.get('/api/admin/users?limit=999')).status).toBe(400);

    // Admins do not create accounts here.
    expect((await admin.post('/api/admin/users', { email: 'x@y.example', password: STRONG_PASSWORD })).status).toBe(
      404,
    );
  });

  it('lets an admin search, change limits and role, disable (sessions, sign-in and tokens end), enable and delete an account, each audited', async () => {
    const admin = new TestClient(gw.url);
    const a = await registerUser(admin, { displayName: 'Root' });
    await gw.ctx.repos.users.setRole(a.id, 'admin');
    const userClient = new TestClient(gw.url);
    const u = await registerUser(userClient, { displayName: 'Zelda Quill' });
    const token = (await userClient.post('/api/tokens', { name: 'script', scopes: ['history:read'] })).body.token;
    const withToken = (path: string) =>
      new TestClient(gw.url, null).get(path, { headers: { authorization: `Bearer ${token}` } });
    expect((await withToken('/api/conversations')).status).toBe(200);
    const ip = { 'x-forwarded-for': '203.0.113.77' };

    // Search by part of the name or email, any case; LIKE wildcards are literal.
    const found = await admin.get('/api/admin/users?q=zELDA');
    expect(found.body).toMatchObject({
      total: 1,
      users: [{ id: u.id, role: 'user', disabledAt: null, quotaMinutesPerDay: null, maxCallSeconds: null }],
    });
    expect((await admin.get(`/api/admin/users?q=${encodeURIComponent(u.email.split('@')[0]!)}`)).body.users[0].id).toBe(
      u.id,
    );
    expect((await admin.get('/api/admin/users?q=%25')).body.total).toBe(0);

    // Limits and role.
    const changed = await admin.patch(`/api/admin/users/${u.id}`, { quotaMinutesPerDay: 30, maxCallSeconds: 600 });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.user).toMatchObject({ quotaMinutesPerDay: 30, maxCallSeconds: 600 });
    expect(await gw.ctx.repos.users.limits(u.id)).toEqual({ quotaMinutesPerDay: 30, maxCallSeconds: 600 });
    expect(
      (await admin.patch(`/api/admin/users/${u.id}`, { maxCallSeconds: null })).body.user.maxCallSeconds,
    ).toBeNull();
    expect((await admin.patch(`/api/admin/users/${u.id}`, { role: 'admin' })).body.user.role).toBe('admin');
    expect((await admin.patch(`/api/admin/users/${u.id}`, { role: 'user' })).body.user.role).toBe('user');

    // Bad input: 400 with a stable code, nothing changed.
    for (const body of [
      {},
      { maxCallSeconds: 0 },
      { maxCallSeconds: 1.5 },
      { quotaMinutesPerDay: -1 },
      { role: 'root' },
      { email: 'x@y.z' },
    ]) {
      const r = await admin.patch(`/api/admin/users/${u.id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
    expect((await admin.patch(`/api/admin/users/${a.id}`, { role: 'user' })).body.error.code).toBe('own_account');
    expect((await admin.post(`/api/admin/users/${a.id}/disable`)).body.error.code).toBe('own_account');
    expect((await admin.delete(`/api/admin/users/${a.id}`)).body.error.code).toBe('own_account');
    expect((await admin.post(`/api/admin/users/${randomUUID()}/disable`)).status).toBe(404);
    expect((await admin.patch(`/api/admin/users/not-an-id`, { maxCallSeconds: 5 })).status).toBe(404);
    expect((await admin.get('/api/admin/audit?from=yesterday')).status).toBe(400);
    expect((await admin.get('/api/admin/audit?type=DROP%20TABLE')).body.error.code).toBe('validation_failed');

    // Disable: the signed-in session and the API token stop at once; signing in is refused with a clear code.
    const disabled = await admin.post(`/api/admin/users/${u.id}/disable`, undefined, { headers: ip });
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.body.user.disabledAt).toEqual(expect.any(String));
    expect((await userClient.get('/api/auth/me')).status).toBe(401);
    expect((await withToken('/api/conversations')).body.error.code).toBe('account_disabled');
    const refused = await new TestClient(gw.url).post('/api/auth/login', { email: u.email, password: u.password });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('account_disabled');
    // Someone without the password learns nothing about the account.
    const guess = await new TestClient(gw.url).post('/api/auth/login', {
      email: u.email,
      password: 'not-the-password-1',
    });
    expect(guess.body.error.code).toBe('invalid_credentials');

    // Enable: the password works again.
    expect((await admin.post(`/api/admin/users/${u.id}/enable`)).body.user.disabledAt).toBeNull();
    const back = new TestClient(gw.url);
    expect((await back.post('/api/auth/login', { email: u.email, password: u.password })).status).toBe(200);

    // The audit trail: actor, target, coarse IP, no secrets; filtered by target, actor, type and time.
    const trail = await admin.get(`/api/admin/audit?target=${u.id}&actor=${encodeURIComponent(a.email.toUpperCase())}`);
    expect(trail.status, trail.text).toBe(200);
    expect(trail.body.events.map((e: { type: string }) => e.type)).toEqual([
      'admin_user_enabled',
      'admin_user_disabled',
      'admin_role_change',
      'admin_role_change',
      'admin_limits_change',
      'admin_limits_change',
    ]);
    const disabledEvent = trail.body.events[1];
    expect(disabledEvent).toMatchObject({ actorId: a.id, actorEmail: a.email, targetId: u.id, targetEmail: u.email });
    expect(disabledEvent.ip).toMatch(/\.x$|::\/48$/);
    expect(trail.body.events[5].details).toEqual({ quotaMinutesPerDay: 30, maxCallSeconds: 600 });
    expect(trail.text).not.toContain(u.password);
    expect(trail.text).not.toContain(token);
    const ownEvents = await admin.get(`/api/admin/audit?target=${u.email}&type=login_failed`);
    expect(ownEvents.body.events.map((e: { details: { reason: string } }) => e.details.reason).sort()).toEqual([
      'account_disabled',
      'wrong_password',
    ]);
    expect(ownEvents.body.events[0]).toMatchObject({ actorId: u.id, targetId: u.id });
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await admin.get(`/api/admin/audit?target=${u.id}&from=${encodeURIComponent(future)}`)).body.total).toBe(0);
    expect(
      (await admin.get(`/api/admin/audit?target=${u.id}&to=${encodeURIComponent(future)}`)).body.total,
    ).toBeGreaterThan(6);

    // Delete: the account and its sessions go; every event it did or that concerned it stays, pseudonymised.
    const before = (await admin.get(`/api/admin/audit?target=${u.id}&limit=200`)).body.total;
    expect((await admin.delete(`/api/admin/users/${u.id}`)).status).toBe(204);
    expect((await back.get('/api/auth/me')).status).toBe(401);
    expect((await admin.get(`/api/admin/users?q=${encodeURIComponent(u.email)}`)).body.total).toBe(0);
    expect((await admin.delete(`/api/admin/users/${u.id}`)).status).toBe(404);
    const kept = await admin.get(`/api/admin/audit?target=${u.id}&limit=200`);
    expect(kept.body.total).toBe(before + 1);
    const pseudonym = kept.body.events[0].targetPseudonym;
    expect(pseudonym).toMatch(/^deleted-user-[0-9a-f]{12}$/);
    expect(kept.body.events[0]).toMatchObject({
      type: 'admin_user_deleted',
      actorId: a.id,
      actorEmail: a.email,
      targetId: null,
      targetEmail: null,
      targetPseudonym: pseudonym,
      details: { role: 'user' },
    });
    for (const e of kept.body.events) expect(e, e.type).toMatchObject({ targetId: null, targetPseudonym: pseudonym });
    // Its own sign-in failures: actor and target the pseudonym.
    const own = kept.body.events.filter((e: { type: string }) => e.type === 'login_failed');
    expect(own).toHaveLength(2);
    for (const e of own) expect(e).toMatchObject({ actorId: null, actorEmail: null, actorPseudonym: pseudonym });
    expect(kept.text).not.toContain(u.email);
    expect(kept.text).not.toContain('Zelda');
    // The pseudonym finds the same events; an email no longer finds anything.
    expect((await admin.get(`/api/admin/audit?target=${pseudonym}&limit=200`)).body.total).toBe(before + 1);
    expect((await admin.get(`/api/admin/audit?actor=${pseudonym}&type=login_failed`)).body.total).toBe(2);
    expect((await admin.get(`/api/admin/audit?target=${encodeURIComponent(u.email)}`)).body.total).toBe(0);
  });

  it("keeps a self-deleted account's own events under a pseudonym: coarse IP, no email, name or passkey name", async () => {
    const admin = new TestClient(gw.url);
    const a = await registerUser(admin, { displayName: 'Auditor' });
    await gw.ctx.repos.users.setRole(a.id, 'admin');
    const ip = { 'x-forwarded-for': '198.51.100.23' };
    const leaver = new TestClient(gw.url);
    const u = await registerUser(leaver, { displayName: 'Ottilie Vance', headers: ip });
    expect((await leaver.patch('/api/me', { displayName: 'Ottilie V.' }, { headers: ip })).status).toBe(200);
    // An event whose details name the person's own thing (as a passkey's chosen name does).
    await gw.ctx.repos.audit.record({
      userId: u.id,
      type: 'passkey_added',
      ip: '198.51.100.23',
      details: { name: "Ottilie's phone" },
    });
    const live = await admin.get(`/api/admin/audit?actor=${u.id}&limit=50`);
    expect(live.body.events.map((e: { type: string }) => e.type)).toEqual([
      'passkey_added',
      'profile_change',
      'email_verification_sent',
      'register',
    ]);

    const gone = await leaver.request('DELETE', '/api/me', { password: u.password }, { headers: ip });
    expect(gone.status, gone.text).toBe(204);
    expect((await leaver.get('/api/auth/me')).status).toBe(401);

    const kept = await admin.get(`/api/admin/audit?actor=${u.id}&limit=50`);
    expect(kept.status).toBe(200);
    expect(kept.body.events.map((e: { type: string }) => e.type)).toEqual([
      'account_deleted',
      'passkey_added',
      'profile_change',
      'email_verification_sent',
      'register',
    ]);
    const pseudonym = kept.body.events[0].actorPseudonym;
    expect(pseudonym).toMatch(/^deleted-user-[0-9a-f]{12}$/);
    for (const e of kept.body.events)
      expect(e, e.type).toMatchObject({
        actorId: null,
        actorEmail: null,
        actorPseudonym: pseudonym,
        targetId: null,
        targetEmail: null,
        targetPseudonym: pseudonym,
      });
    expect(kept.body.events.find((e: { type: string }) => e.type === 'passkey_added').details).toEqual({});
    expect(kept.body.events.find((e: { type: string }) => e.type === 'profile_change').details).toEqual({
      fields: ['displayName'],
    });
    expect(kept.text).not.toMatch(/Ottilie|198\.51\.100\.23/);
    expect(kept.text).not.toContain(u.email);
    // Stored coarse too, not only shown coarse.
    const stored = await gw.database.db('audit_events').where({ actor_pseudonym: pseudonym }).pluck('ip');
    expect(stored.length).toBe(5);
    for (const storedIp of stored) expect(storedIp).toBe('198.51.100.x');
    // The same pseudonym each time: another account's deletion does not reuse it.
    const other = new TestClient(gw.url);
    const o = await registerUser(other);
    expect((await other.request('DELETE', '/api/me', { password: o.password })).status).toBe(204);
    const others = await admin.get(`/api/admin/audit?actor=${o.id}`);
    expect(others.body.total).toBe(3);
    expect(others.body.events[0].actorPseudonym).toMatch(/^deleted-user-[0-9a-f]{12}$/);
    expect(others.body.events[0].actorPseudonym).not.toBe(pseudonym);
  });

  it("shows admins every account's usage and cost for a month; 404 on every admin route of the OpenAPI document for anyone else", async () => {
    const admin = new TestClient(gw.url);
    const a = await registerUser(admin, { displayName: 'Admin 2' });
    await gw.ctx.repos.users.setRole(a.id, 'admin');
    const caller = new TestClient(gw.url);
    const u = await registerUser(caller, { displayName: 'Caller' });
    const { conversationId } = (await caller.post('/api/calls', {})).body;
    const now = Date.now();
    await ingest(gw.url, conversationId, [
      { type: 'call_started', at: new Date(now - 60_000).toISOString() },
      {
        type: 'usage',
        reportId: 'job',
        lines: [
          {
            stage: 'tts',
            provider: 'cartesia',
            model: 'sonic-2',
            sttAudioSeconds: 0,
            llmPromptTokens: 0,
            llmCachedPromptTokens: 0,
            llmCompletionTokens: 0,
            ttsCharacters: 10_000,
          },
        ],
      },
      { type: 'call_ended', at: new Date(now).toISOString(), reason: 'caller_left' },
    ]);
    const usage = await admin.get('/api/admin/usage');
    expect(usage.status).toBe(200);
    const row = usage.body.users.find((x: { userId: string }) => x.userId === u.id);
    // Cartesia's default: $50 per million characters.
    expect(row).toMatchObject({ email: u.email, calls: 1, minutes: 1, ttsCharacters: 10_000, costUsd: 0.5 });
    expect((await admin.get('/api/admin/usage?month=2020-01')).body.users).toEqual([]);
    expect((await admin.get('/api/admin/usage?month=2020-13')).status).toBe(400);

    // Every admin route the served OpenAPI document lists answers 404 to a signed-in user and to nobody.
    const doc = (await new TestClient(gw.url, null).get('/api/openapi.json')).body;
    const adminOps = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([p]) => p.startsWith('/api/admin'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => [m, p.replace(/\{[^}]+\}/g, u.id)] as const));
    expect(adminOps.map(([m, p]) => `${m} ${p}`)).toEqual(
      expect.arrayContaining([
        'get /api/admin/users',
        'get /api/admin/conversations',
        'get /api/admin/usage',
        'get /api/admin/audit',
        `patch /api/admin/users/${u.id}`,
        `post /api/admin/users/${u.id}/disable`,
        `post /api/admin/users/${u.id}/enable`,
        `delete /api/admin/users/${u.id}`,
        `post /api/admin/conversations/${u.id}/transcript`,
      ]),
    );
    for (const [method, path] of adminOps)
      for (const client of [caller, new TestClient(gw.url)]) {
        const r = await (client as unknown as Record<string, (p: string, b?: unknown) => Promise<{ status: number }>>)[
          method
        ]!(path, method === 'get' ? undefined : {});
        expect(r.status, `${method} ${path}`).toBe(404);
      }
  });
});
