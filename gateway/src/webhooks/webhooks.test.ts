import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent } from '@parley/protocol';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { STRONG_PASSWORD } from '@parley/testkit/accounts';
import { ingest, utterance } from '@parley/testkit/calls';
import { HISTORY_TEST_ENV, registerUser, seedConversation, type TestUser } from '@parley/testkit/history';
import { TestSmtpServer } from '@parley/testkit/smtp';
import { WebhookReceiver } from '@parley/testkit/webhook-receiver';
import { sendAttempt } from './sender';
import { UrlGuard } from './url-guard';

/** Receivers in these tests listen on 127.0.0.1: the operator's explicit allow-list setting admits it. */
const ENV = {
  ...HISTORY_TEST_ENV,
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
  WEBHOOK_RETRY_BASE_SECONDS: '0.2',
  WEBHOOK_TIMEOUT_SECONDS: '5',
  WEBHOOK_POLL_SECONDS: '0.2',
};

async function register(user: TestUser, url: string, events: string[], extra: Record<string, unknown> = {}) {
  const r = await user.client.post('/api/webhooks', { url, events, ...extra });
  expect(r.status, r.text).toBe(201);
  return r.body as { endpoint: { id: string; url: string; scope: string }; secret: string };
}

/** An ended call through the real routes: POST /api/calls, then the agent's signed reports. */
async function endedCall(gw: TestGateway, user: TestUser, turns = 2) {
  const { conversationId } = (await user.client.post('/api/calls', {})).body as { conversationId: string };
  const at = Date.UTC(2025, 0, 1, 12, 0, 0);
  const events = [
    { type: 'call_started', at: new Date(at).toISOString() },
    ...Array.from({ length: turns }, (_, i) => ({
      type: 'utterance',
      utterance: utterance(i, {
        text: i % 2 ? `Reply ${i} from the agent` : `Question ${i} from the caller`,
        metrics:
          i % 2
            ? {
                endOfUtteranceDelayMs: 300,
                transcriptionDelayMs: 100,
                llmTtftMs: 200,
                ttsTtfbMs: 150,
                e2eLatencyMs: 800 + i * 100,
              }
            : null,
      }),
    })),
  ] as IngestEvent[];
  expect((await ingest(gw.url, conversationId, events)).status).toBe(200);
  const end = await ingest(gw.url, conversationId, [
    { type: 'call_ended', at: new Date(at + turns * 2000 + 500).toISOString(), reason: 'caller_left' },
  ]);
  return { conversationId, end };
}

describe('outgoing webhooks', () => {
  let gw: TestGateway;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    gw = await startTestGateway({ env: ENV });
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await gw?.stop();
    await receiver?.close();
  });

  it('shows the secret once, keeps it sealed, and delivers conversation.deleted signed, with a delivery log', async () => {
    const alice = await registerUser(gw, 'alice');
    const { endpoint, secret } = await register(alice, receiver.url, ['conversation.deleted']);
    receiver.secret = secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(endpoint).toMatchObject({ url: receiver.url, scope: 'user' });
    const row = await gw.database.db('webhook_endpoints').where({ id: endpoint.id }).first();
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));
    const listed = await alice.client.get('/api/webhooks');
    expect(listed.body.endpoints.map((e: { id: string }) => e.id)).toEqual([endpoint.id]);
    expect(listed.text).not.toContain(secret.slice(6));

    const conversationId = await seedConversation(gw.database.db, alice.id);
    expect((await alice.client.delete(`/api/conversations/${conversationId}`)).status).toBe(204);
    await expect.poll(() => receiver.processed.size, { timeout: 10_000 }).toBe(1);
    const [event] = [...receiver.processed.values()];
    expect(event).toMatchObject({
      type: 'conversation.deleted',
      data: { userId: alice.id, conversationId, reason: 'owner' },
    });
    expect(event!.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(receiver.requests.every((r) => r.valid)).toBe(true);
    expect(receiver.requests[0]!.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    const log = await alice.client.get(`/api/webhooks/${endpoint.id}/deliveries`);
    expect(log.status).toBe(200);
    expect(log.body.deliveries).toEqual([
      expect.objectContaining({
        eventId: event!.id,
        eventType: 'conversation.deleted',
        status: 'delivered',
        attempts: 1,
        lastStatus: 204,
        lastError: null,
        nextAttemptAt: null,
      }),
    ]);
    // Someone else's endpoint is a 404, like any id that is not yours.
    const bob = await registerUser(gw, 'bob');
    expect((await bob.client.get(`/api/webhooks/${endpoint.id}/deliveries`)).status).toBe(404);
    expect((await bob.client.delete(`/api/webhooks/${endpoint.id}`)).status).toBe(404);
    expect((await alice.client.delete(`/api/webhooks/${endpoint.id}`)).status).toBe(204);
    expect((await alice.client.get('/api/webhooks')).body.endpoints).toEqual([]);
    expect(gw.logs.text).not.toContain(secret.slice(6));
  });

  it('sends call.ended with the full transcript, per-turn latency and usage; a slow receiver does not hold up the call’s end', async () => {
    const carol = await registerUser(gw, 'carol');
    const { secret } = await register(carol, receiver.url, ['call.ended']);
    receiver.secret = secret;
    receiver.mode = 'hold';
    const before = receiver.processed.size;
    const { conversationId, end } = await endedCall(gw, carol, 4);
    // The call's end is answered and visible while the receiver still holds the delivery open.
    expect(end.status).toBe(200);
    await expect.poll(() => receiver.inFlight, { timeout: 10_000 }).toBe(1);
    expect((await carol.client.get(`/api/calls/${conversationId}`)).body).toMatchObject({
      status: 'ended',
      endReason: 'caller_left',
    });
    const another = await endedCall(gw, carol, 2);
    expect(another.end.status).toBe(200);
    expect(receiver.inFlight).toBeGreaterThanOrEqual(1);
    expect(receiver.processed.size).toBe(before);

    receiver.mode = 'ok';
    receiver.release();
    await expect.poll(() => receiver.processed.size, { timeout: 10_000 }).toBe(before + 2);
    const ended = [...receiver.processed.values()].find(
      (e) => e.type === 'call.ended' && e.data.conversation.id === conversationId,
    )!;
    expect(ended.data.userId).toBe(carol.id);
    expect(ended.data.conversation).toMatchObject({ id: conversationId, status: 'ended', endReason: 'caller_left' });
    expect(ended.data.utterances.map((u: { seq: number; text: string }) => [u.seq, u.text])).toEqual([
      [0, 'Question 0 from the caller'],
      [1, 'Reply 1 from the agent'],
      [2, 'Question 2 from the caller'],
      [3, 'Reply 3 from the agent'],
    ]);
    expect(ended.data.utterances[1].metrics).toMatchObject({ e2eLatencyMs: 900, llmTtftMs: 200, ttsTtfbMs: 150 });
    expect(ended.data.usage).toEqual({ durationMs: expect.any(Number), turns: 4, medianTurnLatencyMs: 1000 });
    // The transcript travels to the receiver, never into the gateway's log.
    expect(gw.logs.text).not.toContain('Question 0 from the caller');
  });

  it('refuses endpoint URLs that are not https or not public after DNS resolution, with webhook_url_refused', async () => {
    // A gateway with no allow-list: the production default.
    const strict = await startTestGateway({ env: HISTORY_TEST_ENV });
    try {
      const dan = await registerUser(strict, 'dan');
      const cases: Array<[string, string]> = [
        ['https://localhost/hook', 'private_address'], // a name: refused after resolving to 127.0.0.1 / ::1
        ['https://127.0.0.1/hook', 'private_address'],
        ['https://10.1.2.3/hook', 'private_address'],
        ['https://192.168.1.20/hook', 'private_address'],
        ['https://172.20.0.1/hook', 'private_address'],
        ['https://169.254.169.254/latest/meta-data', 'private_address'],
        ['https://[::1]/hook', 'private_address'],
        ['https://[fe80::1]/hook', 'private_address'],
        ['https://[fd00::1]/hook', 'private_address'],
        ['https://[::ffff:192.168.1.1]/hook', 'private_address'],
        ['https://0.0.0.0/hook', 'private_address'],
        ['http://93.184.215.14/hook', 'not_https'],
        ['ftp://example.com/hook', 'invalid_url'],
        ['not a url', 'invalid_url'],
        ['https://parley-no-such-host.invalid/hook', 'unresolvable'],
      ];
      for (const [url, reason] of cases) {
        const r = await dan.client.post('/api/webhooks', { url, events: ['call.ended'] });
        expect(r.status, url).toBe(400);
        expect(r.body.error, url).toMatchObject({ code: 'webhook_url_refused', details: { reason } });
      }
      // A public address is accepted (nothing is sent until an event happens).
      const ok = await dan.client.post('/api/webhooks', { url: 'https://93.184.215.14/hook', events: ['call.ended'] });
      expect(ok.status).toBe(201);
      expect(await strict.database.db('webhook_endpoints').count({ n: '*' })).toEqual([{ n: '1' }]);

      // The same check at connection time: an attempt to a name resolving to loopback never connects.
      const guard = new UrlGuard([]);
      const result = await sendAttempt(
        guard,
        {
          url: `https://localhost:${receiver.port}/hooks/parley`,
          secret: 'whsec_AAAA',
          eventId: 'msg_x',
          payload: '{}',
        },
        2000,
        new AbortController().signal,
      );
      expect(result).toEqual({ ok: false, status: null, error: 'private_address' });
    } finally {
      await strict.stop();
    }
  });

  it('sends conversation.deleted (reason retention) for conversations the retention setting removes', async () => {
    const gina = await registerUser(gw, 'gina');
    const { secret } = await register(gina, receiver.url, ['conversation.deleted']);
    receiver.secret = secret;
    receiver.mode = 'ok';
    expect((await gina.client.put('/api/me/retention', { days: 1 })).status).toBe(200);
    const old = await seedConversation(gw.database.db, gina.id, { createdAt: new Date(Date.now() - 10 * 86_400_000) });
    const recent = await seedConversation(gw.database.db, gina.id);
    expect((await gw.retention.runOnce()).conversations).toBeGreaterThanOrEqual(1);
    await expect
      .poll(() => [...receiver.processed.values()].find((e) => e.data.userId === gina.id)?.data, { timeout: 10_000 })
      .toEqual({ userId: gina.id, conversationId: old, reason: 'retention' });
    expect([...receiver.processed.values()].some((e) => e.data.conversationId === recent)).toBe(false);
  });

  it('lets only admins register an instance-wide endpoint, which receives every account’s events', async () => {
    const plain = await registerUser(gw, 'plain');
    const refused = await plain.client.post('/api/webhooks', {
      url: receiver.url,
      events: ['conversation.deleted'],
      scope: 'instance',
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('admin_only');

    const admin = await registerUser(gw, 'admin');
    await gw.ctx.repos.users.setRole(admin.id, 'admin');
    const { endpoint, secret } = await register(admin, receiver.url, ['conversation.deleted'], { scope: 'instance' });
    receiver.secret = secret;
    expect(endpoint.scope).toBe('instance');
    expect((await plain.client.get('/api/webhooks')).body.endpoints).toEqual([]);
    expect((await plain.client.get(`/api/webhooks/${endpoint.id}/deliveries`)).status).toBe(404);

    const conversationId = await seedConversation(gw.database.db, plain.id);
    expect((await plain.client.delete(`/api/conversations/${conversationId}`)).status).toBe(204);
    await expect
      .poll(() => [...receiver.processed.values()].some((e) => e.data.conversationId === conversationId), {
        timeout: 10_000,
      })
      .toBe(true);
    const log = await admin.client.get(`/api/webhooks/${endpoint.id}/deliveries`);
    expect(log.body.deliveries[0]).toMatchObject({ eventType: 'conversation.deleted', status: 'delivered' });
    expect((await admin.client.delete(`/api/webhooks/${endpoint.id}`)).status).toBe(204);
  });

  it('delivers account.deleted after the account is gone, and drops undelivered events holding its data', async () => {
    const erin = await registerUser(gw, 'erin');
    const { secret } = await register(erin, receiver.url, ['call.ended', 'account.deleted']);
    receiver.secret = secret;
    receiver.mode = 'fail';
    await endedCall(gw, erin, 2);
    await expect
      .poll(
        async () =>
          (await gw.database.db('webhook_deliveries').where({ subject_user_id: erin.id, event_type: 'call.ended' }))
            .length,
        { timeout: 10_000 },
      )
      .toBe(1);
    const del = await erin.client.request('DELETE', '/api/me', { password: STRONG_PASSWORD });
    expect(del.status, del.text).toBe(204);
    const rows = await gw.database.db('webhook_deliveries').where({ subject_user_id: erin.id });
    expect(rows.map((r) => [r.event_type, r.endpoint_id])).toEqual([['account.deleted', null]]);
    receiver.mode = 'ok';
    await expect
      .poll(() => [...receiver.processed.values()].find((e) => e.type === 'account.deleted')?.data, {
        timeout: 10_000,
      })
      .toEqual({ userId: erin.id });
    expect([...receiver.processed.values()].some((e) => e.type === 'call.ended' && e.data.userId === erin.id)).toBe(
      false,
    );
  });
});

describe('an endpoint failing for too long', () => {
  let gw: TestGateway;
  let smtp: TestSmtpServer;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    receiver = await WebhookReceiver.start();
    // "Too long" is two seconds here (WEBHOOK_DISABLE_AFTER_HOURS takes fractions).
    gw = await startTestGateway({
      env: { ...ENV, SMTP_URL: smtp.url, WEBHOOK_DISABLE_AFTER_HOURS: String(2 / 3600) },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await receiver?.close();
    await smtp?.close();
  });

  it('is retried with growing delays, then disabled with a notice by mail and in the list', async () => {
    const frank = await registerUser(gw, 'frank');
    const { endpoint, secret } = await register(frank, receiver.url, ['conversation.deleted']);
    receiver.secret = secret;
    receiver.mode = 'fail';
    const conversationId = await seedConversation(gw.database.db, frank.id);
    expect((await frank.client.delete(`/api/conversations/${conversationId}`)).status).toBe(204);

    const mail = await smtp.waitFor(frank.email, (m) => m.subject.includes('webhook'), 20_000);
    expect(mail.text).toContain(receiver.url);
    const listed = (await frank.client.get('/api/webhooks')).body.endpoints[0];
    expect(listed.disabledAt).not.toBeNull();
    expect(Date.parse(listed.disabledAt) - Date.parse(listed.failingSince)).toBeGreaterThanOrEqual(2000);
    const [delivery] = (await frank.client.get(`/api/webhooks/${endpoint.id}/deliveries`)).body.deliveries;
    expect(delivery).toMatchObject({ status: 'failed', lastError: 'endpoint_disabled', lastStatus: 503 });
    expect(delivery.attempts).toBeGreaterThanOrEqual(3);
    // Exponential backoff: 0.2 s, 0.4 s, 0.8 s … (±20 %) between attempts.
    const times = receiver.requests.map((r) => r.at);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Each wait at least its scheduled minimum (the worker polls every 0.2 s, so it may be later), growing.
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(200 * 2 ** i * 0.8 - 20));
    expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]!);

    // Disabled: new events are not queued for it; turning it back on works for new events.
    const n = receiver.requests.length;
    receiver.mode = 'ok';
    const second = await seedConversation(gw.database.db, frank.id);
    expect((await frank.client.delete(`/api/conversations/${second}`)).status).toBe(204);
    const enabled = await frank.client.post(`/api/webhooks/${endpoint.id}/enable`, {});
    expect(enabled.status).toBe(200);
    expect(enabled.body.endpoint).toMatchObject({ disabledAt: null, failingSince: null });
    expect(receiver.requests.length).toBe(n);
    const third = await seedConversation(gw.database.db, frank.id);
    expect((await frank.client.delete(`/api/conversations/${third}`)).status).toBe(204);
    await expect
      .poll(() => [...receiver.processed.values()].map((e) => e.data.conversationId), { timeout: 10_000 })
      .toEqual([third]);
  });
});

describe('webhook routes refuse API tokens and signed-out callers', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: ENV });
  });
  afterAll(async () => gw?.stop());

  it('401 signed out; 403 token_not_allowed with a bearer token; 400 on a bad body', async () => {
    expect((await new TestClient(gw.url).get('/api/webhooks')).status).toBe(401);
    const u = await registerUser(gw, 'tok');
    const token = (await u.client.post('/api/tokens', { name: 't', scopes: ['history:read', 'export', 'calls:start'] }))
      .body.token as string;
    const r = await new TestClient(gw.url, null).get('/api/webhooks', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('token_not_allowed');
    const bad = await u.client.post('/api/webhooks', { url: 'https://93.184.215.14/', events: ['call.started'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
  });
});
