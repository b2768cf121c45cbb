import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeSpeechWav } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { WebhookReceiver } from '@parley/testkit/webhook-receiver';
import { registerUser, waitFor } from './helpers';

/**
 * call.ended from a real call (issue 25): the agent worker, LiveKit and the fakes produce the
 * transcript and its latency figures; a receiver that holds its answer does not hold up the call's
 * end; once it answers, the signed event carries the stored transcript with per-turn latency.
 */
const QUESTION = 'What is the weather like by the sea?';
const REPLY = 'It is windy by the sea today.';

describe('call.ended webhook from a real call', () => {
  let stack: Stack;
  let caller: Caller;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    stack = await startStack({
      deepgram: { transcripts: [QUESTION] },
      openai: { ttftMs: 60, reply: () => REPLY },
      // The receiver listens on 127.0.0.1: the operator's explicit allow-list admits it.
      gatewayEnv: { WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32', WEBHOOK_POLL_SECONDS: '0.2' },
    });
  }, 120_000);

  afterAll(async () => {
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
    await receiver?.close();
  });

  it('ends the call while the receiver holds the delivery, then delivers the transcript with latency', async () => {
    const client = stack.client();
    await registerUser(client);
    const created = await client.post('/api/webhooks', { url: receiver.url, events: ['call.ended'] });
    expect(created.status, created.text).toBe(201);
    receiver.secret = created.body.secret;
    receiver.mode = 'hold';

    const { pcm } = await synthesizeSpeechWav(QUESTION, { lang: 'en-us', sampleRate: 48000 });
    caller = await startCall(client);
    const { conversationId } = caller.call;
    await caller.agentAudio.firstVoicedAfter(0, 20_000);
    await waitForAgentState(caller, 'listening');
    const { endedAt } = await caller.say(pcm);
    const first = await caller.agentAudio.firstVoicedAfter(endedAt, 15_000);
    await caller.agentAudio.silentFor(700, first);
    await waitForAgentState(caller, 'listening');
    await caller.hangUp();

    // The delivery is open at the receiver, unanswered, and the call has ended regardless.
    await waitFor(() => receiver.inFlight === 1, 20_000, 'the call.ended delivery held at the receiver');
    const status = (await client.get(`/api/calls/${conversationId}`)).body;
    expect(status).toMatchObject({ status: 'ended', endReason: 'caller_left' });
    expect(receiver.processed.size).toBe(0);

    receiver.mode = 'ok';
    receiver.release();
    await waitFor(() => receiver.processed.size === 1, 10_000, 'call.ended processed');
    const [event] = [...receiver.processed.values()];
    expect(event!.type).toBe('call.ended');
    expect(receiver.requests.every((r) => r.valid)).toBe(true);
    const data = event!.data as {
      conversation: { id: string; status: string };
      utterances: Array<{ role: string; text: string; metrics: { e2eLatencyMs?: number | null } | null }>;
      usage: { turns: number; medianTurnLatencyMs: number | null };
    };
    expect(data.conversation).toMatchObject({ id: conversationId, status: 'ended' });
    const stored = (await client.get(`/api/conversations/${conversationId}`)).body.utterances;
    expect(data.utterances).toEqual(stored);
    expect(data.utterances.filter((u) => u.role === 'user').map((u) => u.text)).toEqual([QUESTION]);
    const reply = data.utterances.find((u) => u.role === 'agent' && u.text === REPLY)!;
    expect(reply.metrics?.e2eLatencyMs).toBeGreaterThan(0);
    expect(data.usage.turns).toBe(data.utterances.length);
    expect(data.usage.medianTurnLatencyMs).toBeGreaterThan(0);
  }, 90_000);
});
