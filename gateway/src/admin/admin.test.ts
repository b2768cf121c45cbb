import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { registerUser, STRONG_PASSWORD } from '@parley/testkit/accounts';

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
});
