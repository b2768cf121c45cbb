import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSpoolFile } from '@parley/agent/spool';
import { synthesizeSpeechWav } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { registerUser, waitFor } from './helpers';

/**
 * Done-when 4: the gateway is SIGKILLed mid-call and started again on the same port; the
 * agent's buffered, retried delivery leaves every utterance stored exactly once, in seq order,
 * with no gap. The backlog sits in the agent's spool while the gateway is down.
 */

const TURNS = ['What time is it now?', 'Are you still there?', 'Good, then goodbye.'];

describe('gateway killed and restarted mid-call', () => {
  let stack: Stack;
  let caller: Caller;

  beforeAll(async () => {
    stack = await startStack({
      gateway: 'process',
      deepgram: { transcripts: [...TURNS] },
      openai: {
        ttftMs: 60,
        reply: ({ messages }) => `Answer number ${messages.filter((m) => m.role === 'user').length}.`,
      },
    });
  }, 120_000);

  afterAll(async () => {
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
  });

  const turn = async (pcm: Int16Array) => {
    const { endedAt } = await caller.say(pcm);
    const first = await caller.agentAudio.firstVoicedAfter(endedAt, 15_000);
    await caller.agentAudio.silentFor(700, first);
    await waitForAgentState(caller, 'listening');
  };

  it('loses and duplicates no utterance', async () => {
    const gw = stack.gatewayProcess!;
    const client = stack.client();
    await registerUser(client);
    const speech = await Promise.all(TURNS.map((t) => synthesizeSpeechWav(t, { sampleRate: 48000 })));
    caller = await startCall(client);
    const { conversationId } = caller.call;
    const stored = async () =>
      stack.database.db('utterances').where({ conversation_id: conversationId }).orderBy('seq');

    await caller.agentAudio.firstVoicedAfter(0, 20_000);
    await waitForAgentState(caller, 'listening');
    await turn(speech[0]!.pcm);
    await waitFor(async () => (await stored()).length === 3, 10_000, 'greeting and first turn stored');

    await gw.kill('SIGKILL');
    const killedAt = Date.now();
    await turn(speech[1]!.pcm); // the agent talks on; its reports queue up
    // While the gateway is down the backlog is on disk in the agent's spool, in seq order.
    const files = readdirSync(stack.spoolDir).filter((f) => f.startsWith(conversationId) && f.endsWith('.jsonl'));
    expect(files).toHaveLength(1);
    const backlog = readSpoolFile(`${stack.spoolDir}/${files[0]}`).flatMap((e) =>
      e.type === 'utterance' ? [e.utterance.seq] : [],
    );
    expect(backlog).toEqual([3, 4]);
    expect((await stored()).length).toBe(3);

    await gw.start(); // same port, same database and Redis
    console.info(`gateway down for ${Date.now() - killedAt} ms`);
    const restartedAt = Date.now();
    await waitFor(async () => (await stored()).length === 5, 15_000, 'backlog delivered after restart');
    console.info(`backlog stored ${Date.now() - restartedAt} ms after the gateway answered again`);
    await turn(speech[2]!.pcm);
    await caller.hangUp();
    await waitFor(
      async () => (await stack.database.db('conversations').where({ id: conversationId }).first())?.status === 'ended',
      15_000,
      'call ended',
    );

    const rows = await stored();
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(rows.map((r) => r.role)).toEqual(['agent', 'user', 'agent', 'user', 'agent', 'user', 'agent']);
    // Every transcript the STT produced is stored once, in order (and they are the three turns).
    expect(
      rows
        .filter((r) => r.role === 'user')
        .map((r) => r.text)
        .join(' '),
    ).toBe(stack.fakes.deepgram.transcriptsSent.join(' '));
    expect(stack.fakes.deepgram.transcriptsSent).toEqual(TURNS);
    expect(rows.filter((r, i) => i > 0 && r.role === 'agent').map((r) => r.text)).toEqual([
      'Answer number 1.',
      'Answer number 2.',
      'Answer number 3.',
    ]);
    const conv = await stack.database.db('conversations').where({ id: conversationId }).first();
    expect(conv.turn_count).toBe(7);
    expect(conv.end_reason).toBe('caller_left');
    // Everything delivered: the spool is empty again.
    await waitFor(
      () => readdirSync(stack.spoolDir).filter((f) => f.endsWith('.jsonl')).length === 0,
      5000,
      'spool emptied',
    );
  }, 90_000);
});
