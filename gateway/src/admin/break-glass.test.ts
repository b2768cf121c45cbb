import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { registerUser } from '@parley/testkit/accounts';
import { ingest, utterance } from '@parley/testkit/calls';

const SAID = 'my locker code is four four seven';
const REASON = 'Support ticket 4711: the caller asked us to check a wrong answer';

describe('break-glass transcript access for admins', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.stop());

  it('gives an admin who states a reason the transcript, audited without its text; 404 for others; 400 without a reason', async () => {
    const admin = new TestClient(gw.url);
    const root = await registerUser(admin);
    await gw.ctx.repos.users.setRole(root.id, 'admin');
    const caller = new TestClient(gw.url);
    const owner = await registerUser(caller);
    const { conversationId } = (await caller.post('/api/calls', {})).body;
    const now = Date.now();
    const ingested = await ingest(gw.url, conversationId, [
      { type: 'call_started', at: new Date(now - 30_000).toISOString() },
      { type: 'utterance', utterance: utterance(0, { text: SAID }) },
      { type: 'utterance', utterance: utterance(1, { text: 'Noted.' }) },
      { type: 'call_ended', at: new Date(now).toISOString(), reason: 'caller_left' },
    ]);
    expect(ingested.status).toBe(200);
    const path = `/api/admin/conversations/${conversationId}/transcript`;
    const events = () => gw.database.db('audit_events').where({ type: 'admin_transcript_read' });

    // Not an admin (the owner included) or nobody: the route does not exist for them.
    for (const client of [caller, new TestClient(gw.url)]) {
      const r = await client.post(path, { reason: REASON });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
      expect(r.text).not.toContain(SAID);
    }
    // No reason, a blank or a too short one: 400, and nothing read or recorded.
    for (const body of [{}, { reason: '   ' }, { reason: 'because' }]) {
      const r = await admin.post(path, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'reason' }] });
      expect(r.text).not.toContain(SAID);
    }
    // An unknown conversation: 404.
    const unknown = await admin.post(`/api/admin/conversations/${owner.id}/transcript`, { reason: REASON });
    expect(unknown.status).toBe(404);
    expect(await events()).toHaveLength(0);

    const r = await admin.post(path, { reason: `  ${REASON} ` });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toContain('no-store');
    expect(r.body.conversation).toMatchObject({ id: conversationId, userId: owner.id, userEmail: owner.email });
    expect(r.body.utterances.map((u: { role: string; text: string }) => [u.role, u.text])).toEqual([
      ['user', SAID],
      ['agent', 'Noted.'],
    ]);

    // One audit event: the admin, the account, the conversation and the reason; never the text.
    const rows = await events();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: root.id, target_user_id: owner.id });
    expect(rows[0].details).toEqual({ conversationId, reason: REASON });
    expect(JSON.stringify(rows)).not.toContain(SAID);
    const trail = await admin.get(`/api/admin/audit?type=admin_transcript_read`);
    expect(trail.body.events).toMatchObject([
      { actorId: root.id, targetId: owner.id, details: { conversationId, reason: REASON } },
    ]);
    // The account holder sees that an administrator read a transcript (not who, not the reason).
    const mine = (await caller.get('/api/me/activity')).body.events;
    expect(mine[0]).toMatchObject({ type: 'admin_transcript_read', byAdmin: true });
    expect(JSON.stringify(mine)).not.toContain(root.email);

    // The conversation listing stays metadata only.
    const list = await admin.get(`/api/admin/conversations?userId=${owner.id}`);
    expect(list.text).not.toContain(SAID);
  });
});
