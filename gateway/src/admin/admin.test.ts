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
    expect(users.text).not.toMatch(/scrypt|password|epoch/i);

    const convs = await admin.get(`/api/admin/conversations?userId=${u.id}`);
    expect(convs.status).toBe(200);
    expect(convs.body).toMatchObject({
      total: 1,
      conversations: [{ id: convId, userId: u.id, status: 'created', turnCount: 0 }],
    });
    expect((await admin.get('/api/admin/users?limit=999')).status).toBe(400);

    // Read-only: no write routes exist for admins either.
    expect((await admin.post('/api/admin/users', { email: 'x@y.example', password: STRONG_PASSWORD })).status).toBe(
      404,
    );
    expect((await admin.delete(`/api/admin/users/${u.id}`)).status).toBe(404);
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
      expect.arrayContaining(['get /api/admin/users', 'get /api/admin/conversations', 'get /api/admin/usage']),
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
