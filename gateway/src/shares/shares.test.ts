import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { HISTORY_TEST_ENV, registerUser, seedConversation, type TestUser } from '@parley/testkit/history';

describe('share links', () => {
  let gw: TestGateway;
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: string;
  const signedOut = () => new TestClient(gw.url);

  beforeAll(async () => {
    gw = await startTestGateway({ env: HISTORY_TEST_ENV });
    [alice, bob] = await Promise.all([registerUser(gw, 'alice'), registerUser(gw, 'bob')]);
    conversationId = await seedConversation(gw.database.db, alice.id, {
      title: 'Trip planning',
      turns: [
        { role: 'user', text: 'Plan a trip to Lisbon please' },
        { role: 'agent', text: 'Lisbon in spring is lovely.', metrics: { llmTtftMs: 321, ttsTtfbMs: 120 } },
      ],
    });
  });
  afterAll(async () => gw?.stop());

  it('creates a link that opens signed out, shows no account data, is noindex, and 404s once revoked', async () => {
    const created = await alice.client.post('/api/shares', { conversationId });
    expect(created.status).toBe(201);
    const { token, url, share } = created.body;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits
    expect(url).toBe(`${gw.url}/s/${token}`);
    expect(share.conversationTitle).toBe('Trip planning');
    const days = (Date.parse(share.expiresAt) - Date.parse(share.createdAt)) / 86_400_000;
    expect(days).toBeCloseTo(7, 2);
    // Only the hash is stored.
    const row = await gw.database.db('conversation_shares').where({ id: share.id }).first();
    expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);

    const opened = await signedOut().get(`/api/shared/${token}`);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('x-robots-tag')).toMatch(/noindex/);
    expect(opened.body.conversation.title).toBe('Trip planning');
    expect(opened.body.utterances.map((u: { text: string }) => u.text)).toEqual([
      'Plan a trip to Lisbon please',
      'Lisbon in spring is lovely.',
    ]);
    // No latency unless asked for; no account data anywhere in the answer.
    expect(opened.body.utterances[1].metrics).toBeUndefined();
    for (const secret of [alice.email, alice.id, conversationId, 'alice']) expect(opened.text).not.toContain(secret);

    const listed = await alice.client.get('/api/shares');
    expect(listed.body.shares.map((s: { id: string }) => s.id)).toEqual([share.id]);
    expect((await bob.client.get('/api/shares')).body.shares).toEqual([]);

    // Bob cannot revoke Alice's link.
    expect((await bob.client.delete(`/api/shares/${share.id}`)).status).toBe(404);
    expect((await signedOut().get(`/api/shared/${token}`)).status).toBe(200);

    expect((await alice.client.delete(`/api/shares/${share.id}`)).status).toBe(204);
    const revoked = await signedOut().get(`/api/shared/${token}`);
    const unknown = await signedOut().get(`/api/shared/${'A'.repeat(43)}`);
    const malformed = await signedOut().get('/api/shared/nope');
    for (const r of [revoked, unknown, malformed]) {
      expect(r.status).toBe(404);
      expect(r.body).toEqual(unknown.body);
      expect(r.headers.get('x-robots-tag')).toMatch(/noindex/);
    }
    expect(unknown.body.error.code).toBe('not_found');
    expect((await alice.client.get('/api/shares')).body.shares).toEqual([]);
    expect((await alice.client.delete(`/api/shares/${share.id}`)).status).toBe(404);
    // The token never reached the logs.
    expect(gw.logs.text).not.toContain(token);
  });

  it('includes latency only when asked, honours the chosen expiry and refuses one past 90 days', async () => {
    const created = await alice.client.post('/api/shares', { conversationId, expiresInDays: 90, includeLatency: true });
    expect(created.status).toBe(201);
    const days = (Date.parse(created.body.share.expiresAt) - Date.parse(created.body.share.createdAt)) / 86_400_000;
    expect(days).toBeCloseTo(90, 2);
    const opened = await signedOut().get(`/api/shared/${created.body.token}`);
    expect(opened.body.utterances[1].metrics).toMatchObject({ llmTtftMs: 321, ttsTtfbMs: 120 });

    for (const expiresInDays of [91, 0, 1.5, '7']) {
      const r = await alice.client.post('/api/shares', { conversationId, expiresInDays });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
  });

  it('answers 404 once a link has expired', async () => {
    const created = await alice.client.post('/api/shares', { conversationId, expiresInDays: 1 });
    const { token, share } = created.body;
    expect((await signedOut().get(`/api/shared/${token}`)).status).toBe(200);
    // A day passes: move the stored expiry into the past.
    await gw.database
      .db('conversation_shares')
      .where({ id: share.id })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const expired = await signedOut().get(`/api/shared/${token}`);
    expect(expired.status).toBe(404);
    expect(expired.body.error.code).toBe('not_found');
    expect((await alice.client.get('/api/shares')).body.shares.map((s: { id: string }) => s.id)).not.toContain(
      share.id,
    );
  });

  it("refuses to share another user's conversation or an unknown one, and needs a session", async () => {
    const foreign = await bob.client.post('/api/shares', { conversationId });
    const unknown = await bob.client.post('/api/shares', { conversationId: '00000000-0000-4000-8000-000000000000' });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(unknown.body);
    expect((await signedOut().post('/api/shares', { conversationId })).status).toBe(401);
    expect((await signedOut().get('/api/shares')).status).toBe(401);
    expect(await gw.database.db('conversation_shares').where({ user_id: bob.id }).count()).toEqual([{ count: '0' }]);
  });

  it('refuses cross-origin writes (create and revoke) with 403 forbidden_origin', async () => {
    const evil = { headers: { origin: 'https://evil.example' } };
    const before = await gw.database.db('conversation_shares').count();
    const create = await alice.client.post('/api/shares', { conversationId }, evil);
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('forbidden_origin');
    expect(await gw.database.db('conversation_shares').count()).toEqual(before);

    const { share, token } = (await alice.client.post('/api/shares', { conversationId })).body;
    const revoke = await alice.client.request('DELETE', `/api/shares/${share.id}`, undefined, evil);
    expect(revoke.status).toBe(403);
    expect((await signedOut().get(`/api/shared/${token}`)).status).toBe(200);
  });

  it('ends the links when the conversation is deleted', async () => {
    const id = await seedConversation(gw.database.db, alice.id);
    const { token } = (await alice.client.post('/api/shares', { conversationId: id })).body;
    expect((await signedOut().get(`/api/shared/${token}`)).status).toBe(200);
    expect((await alice.client.delete(`/api/conversations/${id}`)).status).toBe(204);
    expect((await signedOut().get(`/api/shared/${token}`)).status).toBe(404);
  });
});
