import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_SCOPES, type TokenScope } from '@parley/protocol';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { HISTORY_TEST_ENV, registerUser, seedConversation, type TestUser } from '@parley/testkit/history';

const SCOPES = Object.keys(TOKEN_SCOPES) as TokenScope[];

/** A script: no cookie, no Origin header, only `Authorization: Bearer`. */
function script(gw: TestGateway, token: string) {
  const c = new TestClient(gw.url, null);
  const auth = { authorization: `Bearer ${token}` };
  return {
    get: (p: string) => c.get(p, { headers: auth }),
    request: (method: string, p: string, body?: unknown) => c.request(method, p, body, { headers: auth }),
  };
}

describe('personal API tokens', () => {
  let gw: TestGateway;
  let alice: TestUser;
  let conversationId: string;

  const create = async (user: TestUser, scopes: TokenScope[], extra: Record<string, unknown> = {}) => {
    const r = await user.client.post('/api/tokens', { name: `script ${scopes.join('+')}`, scopes, ...extra });
    expect(r.status, r.text).toBe(201);
    return r.body as { token: string; apiToken: { id: string; hint: string } };
  };

  beforeAll(async () => {
    gw = await startTestGateway({ env: HISTORY_TEST_ENV });
    alice = await registerUser(gw, 'alice');
    conversationId = await seedConversation(gw.database.db, alice.id, { title: 'Budget review' });
  });
  afterAll(async () => gw?.stop());

  it('is shown once, stored hashed, listed with name, scopes, expiry and last use, and never logged', async () => {
    const { token, apiToken } = await create(alice, ['history:read']);
    expect(token).toMatch(/^prl_[A-Za-z0-9_-]{43}$/);
    const row = await gw.database.db('api_tokens').where({ id: apiToken.id }).first();
    expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token.slice(8));

    const listed = await alice.client.get('/api/tokens');
    const mine = listed.body.tokens.find((t: { id: string }) => t.id === apiToken.id);
    expect(mine).toMatchObject({ name: 'script history:read', scopes: ['history:read'], lastUsedAt: null });
    expect(Date.parse(mine.expiresAt) - Date.parse(mine.createdAt)).toBeCloseTo(90 * 86_400_000, -4);
    expect(listed.text).not.toContain(token);

    const r = await script(gw, token).get('/api/conversations');
    expect(r.status).toBe(200);
    expect(r.body.conversations.map((c: { id: string }) => c.id)).toEqual([conversationId]);
    await expect
      .poll(
        async () =>
          (await alice.client.get('/api/tokens')).body.tokens.find((t: { id: string }) => t.id === apiToken.id)
            .lastUsedAt,
      )
      .not.toBeNull();
    expect(gw.logs.text).not.toContain(token.slice(4));
  });

  it('opens exactly the routes whose OpenAPI entry lists its scope; every other route refuses it', async () => {
    const doc = (await new TestClient(gw.url).get('/api/openapi.json')).body as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
    };
    const tokens = Object.fromEntries(
      await Promise.all(SCOPES.map(async (s) => [s, (await create(alice, [s])).token] as const)),
    ) as Record<TokenScope, string>;
    const ops = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/api/'))
      .flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ method: m.toUpperCase(), path: p, op })));
    expect(ops.length).toBeGreaterThan(30);
    const opened: string[] = [];
    for (const { method, path, op } of ops) {
      const needed = op.security?.find((s) => 'apiToken' in s)?.apiToken ?? [];
      // Path parameters: a real conversation id where one fits, else a placeholder.
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
        name === 'id' ? conversationId : name === 'provider' ? 'none' : 'x',
      );
      for (const scope of SCOPES) {
        const r = await script(gw, tokens[scope]).request(method, url, method === 'GET' ? undefined : {});
        const label = `${method} ${path} with ${scope}`;
        if (needed.includes(scope)) {
          expect([401, 403], label).not.toContain(r.status);
          opened.push(`${method} ${path}`);
        } else {
          expect(r.status, label).toBe(403);
          expect(r.body.error.code, label).toBe(needed.length ? 'insufficient_scope' : 'token_not_allowed');
        }
      }
    }
    expect(opened.sort()).toEqual(
      [
        'GET /api/conversations',
        'GET /api/conversations/{id}',
        'GET /api/conversations/{id}/export',
        'GET /api/me/export',
        'POST /api/calls',
        'POST /api/calls/{id}/rejoin',
        'GET /api/calls/{id}',
      ].sort(),
    );
    // Nothing was changed by the refused requests: the conversation and the password are intact.
    expect((await alice.client.get(`/api/conversations/${conversationId}`)).status).toBe(200);
    expect(
      (await new TestClient(gw.url).post('/api/auth/login', { email: alice.email, password: alice.password })).status,
    ).toBe(200);
  });

  it('cannot manage tokens or change the password, even with every scope', async () => {
    const { token } = await create(alice, SCOPES);
    const s = script(gw, token);
    for (const [method, path, body] of [
      ['GET', '/api/tokens', undefined],
      ['POST', '/api/tokens', { name: 'escalate', scopes: SCOPES }],
      ['POST', '/api/me/password', { currentPassword: alice.password, newPassword: 'another-lantern-harbor-93' }],
      ['DELETE', '/api/me', { password: alice.password }],
    ] as const) {
      const r = await s.request(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe('token_not_allowed');
    }
    expect((await gw.database.db('api_tokens').where({ name: 'escalate' })).length).toBe(0);
  });

  it('needs no CSRF origin with a bearer token, while the cookie still does', async () => {
    const { token } = await create(alice, ['calls:start']);
    const started = await script(gw, token).request('POST', '/api/calls', {});
    expect(started.status).toBe(201);
    const call = await gw.database.db('conversations').where({ id: started.body.conversationId }).first();
    expect(call.user_id).toBe(alice.id);
    // The same user's cookie from a foreign origin is still refused.
    const foreign = await alice.client.post('/api/calls', {}, { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('forbidden_origin');
  });

  it('refuses a revoked token at once, an expired one, and a malformed header, with 401', async () => {
    const { token, apiToken } = await create(alice, ['history:read']);
    const s = script(gw, token);
    expect((await s.get('/api/conversations')).status).toBe(200);
    expect((await alice.client.delete(`/api/tokens/${apiToken.id}`)).status).toBe(204);
    const revoked = await s.get('/api/conversations');
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe('unauthenticated');
    expect((await alice.client.get('/api/tokens')).body.tokens.map((t: { id: string }) => t.id)).not.toContain(
      apiToken.id,
    );

    const expiring = await create(alice, ['history:read'], { expiresInDays: 1 });
    await gw.database
      .db('api_tokens')
      .where({ id: expiring.apiToken.id })
      .update({ expires_at: new Date(Date.now() - 1000) });
    expect((await script(gw, expiring.token).get('/api/conversations')).status).toBe(401);

    const c = new TestClient(gw.url, null);
    expect((await c.get('/api/conversations', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await c.get('/api/conversations', { headers: { authorization: 'Bearer prl_nope' } })).status).toBe(401);
  });

  it("is its owner's only: another user's token reads only their own history, and cannot revoke Alice's", async () => {
    const bob = await registerUser(gw, 'bob');
    const { token } = await create(bob, ['history:read']);
    expect((await script(gw, token).get(`/api/conversations/${conversationId}`)).status).toBe(404);
    const aliceToken = await create(alice, ['export']);
    expect((await bob.client.delete(`/api/tokens/${aliceToken.apiToken.id}`)).status).toBe(404);
    expect((await script(gw, aliceToken.token).get('/api/me/export')).status).toBe(200);
  });

  it('refuses bad input with 400 and the stable code', async () => {
    for (const body of [
      { name: '', scopes: ['export'] },
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['admin'] },
      { name: 'x', scopes: ['export'], expiresInDays: 366 },
    ]) {
      const r = await alice.client.post('/api/tokens', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
  });
});
