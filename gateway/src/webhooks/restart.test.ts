import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { IngestEvent } from '@parley/protocol';
import { createTestDatabase, TEST_INGEST_SECRET, TestClient, type TestDatabase } from '@parley/testkit';
import { registerUser } from '@parley/testkit/accounts';
import { ingest, utterance } from '@parley/testkit/calls';
import { gatewayAsProcess, type GatewayProcess } from '@parley/testkit/stack';
import { WebhookReceiver } from '@parley/testkit/webhook-receiver';

let db: TestDatabase | undefined;
let gw: GatewayProcess | undefined;
let receiver: WebhookReceiver | undefined;
const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-wh-'));

afterAll(async () => {
  await gw?.kill();
  await receiver?.close();
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('delivers every event exactly once by id after the receiver was down and the gateway was SIGKILLed mid-delivery', async () => {
  db = await createTestDatabase();
  receiver = await WebhookReceiver.start();
  await receiver.down(); // the receiver is down from the start: connection refused
  gw = await gatewayAsProcess({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    REDIS_URL: undefined,
    SESSION_SECRET: 'test-session-secret-0123456789abcdefghijkl',
    INGEST_SECRET: TEST_INGEST_SECRET,
    LIVEKIT_URL: 'ws://127.0.0.1:1',
    RATE_LIMIT_LOGIN_PER_IP: '1000',
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
    WEBHOOK_RETRY_BASE_SECONDS: '0.3',
    WEBHOOK_TIMEOUT_SECONDS: '3',
    WEBHOOK_POLL_SECONDS: '0.2',
  });
  await gw.start();
  const client = new TestClient(gw.url);
  const user = await registerUser(client, { displayName: 'Integrator' });
  const created = await client.post('/api/webhooks', {
    url: receiver.url,
    events: ['call.ended', 'conversation.deleted'],
  });
  expect(created.status, created.text).toBe(201);
  receiver.secret = created.body.secret;
  const endpointId = created.body.endpoint.id as string;

  // Five events while the receiver is down: three calls end, two conversations are deleted.
  const calls: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { conversationId } = (await client.post('/api/calls', {})).body as { conversationId: string };
    calls.push(conversationId);
    const events: IngestEvent[] = [
      { type: 'call_started', at: new Date().toISOString() },
      { type: 'utterance', utterance: utterance(0, { text: `call ${i} question` }) },
      { type: 'utterance', utterance: utterance(1, { text: `call ${i} answer` }) },
      { type: 'call_ended', at: new Date().toISOString(), reason: 'caller_left' },
    ];
    expect((await ingest(gw.url, conversationId, events)).status).toBe(200);
  }
  const log = async () =>
    (await client.get(`/api/webhooks/${endpointId}/deliveries`)).body.deliveries as Array<{
      eventId: string;
      eventType: string;
      status: string;
      attempts: number;
      lastError: string | null;
    }>;
  await expect.poll(async () => (await log()).length, { timeout: 10_000 }).toBe(3);
  // The transcripts of deleted conversations are not sent any more; their deletion is.
  for (const id of calls.slice(0, 2)) expect((await client.delete(`/api/conversations/${id}`)).status).toBe(204);
  await expect
    .poll(async () => (await log()).filter((d) => d.status === 'pending' && d.attempts >= 2).length, {
      timeout: 20_000,
    })
    .toBe(3);
  const pending = (await log()).filter((d) => d.status === 'pending');
  expect(pending.map((d) => d.eventType).sort()).toEqual([
    'call.ended',
    'conversation.deleted',
    'conversation.deleted',
  ]);
  expect(pending.every((d) => d.lastError === 'ECONNREFUSED')).toBe(true);
  const expectedIds = new Set(pending.map((d) => d.eventId));

  // The receiver comes back but holds the request open; the gateway is SIGKILLed mid-delivery.
  receiver.mode = 'hold';
  await receiver.up();
  await expect.poll(() => receiver!.inFlight, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
  const heldIds = receiver.requests.map((r) => r.id);
  expect(receiver.processed.size).toBe(0);
  await gw.kill('SIGKILL');
  expect(gw.process.signalCode).toBe('SIGKILL');
  const afterKill = await db.db('webhook_deliveries').where({ status: 'pending' }).select('event_id', 'locked_until');
  expect(afterKill.length).toBe(3);
  expect(afterKill.some((r) => heldIds.includes(r.event_id) && r.locked_until !== null)).toBe(true);

  // Up for good; the gateway starts again and the queue in the database carries on.
  receiver.mode = 'ok';
  await gw.start();
  await expect.poll(() => receiver!.processed.size, { timeout: 40_000 }).toBe(3);
  expect(new Set(receiver.processed.keys())).toEqual(expectedIds);
  // The held delivery was sent again under the same webhook-id and processed once.
  expect(receiver.requests.filter((r) => r.id === heldIds[0]).length).toBeGreaterThanOrEqual(2);
  expect(receiver.requests.every((r) => r.valid)).toBe(true);
  const final = await log();
  expect(final.filter((d) => d.status !== 'failed').every((d) => d.status === 'delivered')).toBe(true);
  expect(final.filter((d) => d.status === 'delivered')).toHaveLength(3);
  // The two transcripts of deleted conversations were given up, not sent.
  expect(final.filter((d) => d.status === 'failed').map((d) => d.lastError)).toEqual([
    'conversation_deleted',
    'conversation_deleted',
  ]);
  const ended = [...receiver.processed.values()].find((e) => e.type === 'call.ended')!;
  expect(ended.data.conversation.id).toBe(calls[2]);
  expect(ended.data.userId).toBe(user.id);
  expect(gw.output.join('')).not.toContain(created.body.secret.slice(6));
}, 150_000);
