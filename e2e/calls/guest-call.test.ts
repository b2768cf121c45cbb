import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '@parley/protocol';
import { synthesizeSpeechWav } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { openTranscript, type TranscriptSocket } from '@parley/testkit/calls';
import { waitFor } from './helpers';

/** Done-when 2: a guest call works like a user's, live transcript included, and writes no row. */

const TURNS = ['Hello there, how are you today?', 'Tell me something about the sea.'];
const REPLY = 'I am fine, thank you for asking.';

describe('a guest calls the agent', () => {
  let stack: Stack;
  let caller: Caller;
  let socket: TranscriptSocket;

  beforeAll(async () => {
    stack = await startStack({ deepgram: { transcripts: [...TURNS] }, openai: { ttftMs: 60, reply: () => REPLY } });
  }, 120_000);

  afterAll(async () => {
    socket?.ws.close();
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
  });

  it('talks with defaults, streams the transcript to the guest session and stores nothing', async () => {
    const client = stack.client(); // no account: POST /api/calls makes a guest session
    const speech = await Promise.all(TURNS.map((t) => synthesizeSpeechWav(t, { lang: 'en-us', sampleRate: 48000 })));
    caller = await startCall(client);
    const { conversationId } = caller.call;
    expect(caller.call.room).toMatch(/^parley-/);
    socket = await openTranscript(stack.gatewayUrl, conversationId, { cookie: client.cookieHeader() });
    await socket.next('snapshot');

    await caller.agentAudio.firstVoicedAfter(0, 20_000);
    await waitForAgentState(caller, 'listening');
    for (const { pcm } of speech) {
      const { endedAt } = await caller.say(pcm);
      const first = await caller.agentAudio.firstVoicedAfter(endedAt, 15_000);
      await caller.agentAudio.silentFor(700, first);
      await waitForAgentState(caller, 'listening');
    }

    // Defaults: English STT, the default system prompt, the configured voice.
    expect(stack.fakes.deepgram.sessions.every((s) => s.query.language === 'en-US')).toBe(true);
    const system = String(stack.fakes.openai.chatRequests[0]!.messages[0]!.content);
    expect(system).toContain('Always answer in English');
    expect(system).not.toContain('USER_PREFERENCES');
    expect(new Set(stack.fakes.cartesia.requests.map((r) => r.voiceId))).toEqual(
      new Set(['794f9389-aac1-45b6-b726-9d9369183238']),
    );

    // Live transcript: greeting + 2 × (user, agent), interims of both speakers.
    await waitFor(
      () => socket.queued().filter((m) => m.type === 'utterance').length >= 5,
      10_000,
      'five utterances on the socket',
    );
    const seen: ServerMessage[] = socket.queued();
    const finals = seen.filter((m) => m.type === 'utterance') as Extract<ServerMessage, { type: 'utterance' }>[];
    expect(finals.map((m) => [m.utterance.seq, m.utterance.role])).toEqual([
      [0, 'agent'],
      [1, 'user'],
      [2, 'agent'],
      [3, 'user'],
      [4, 'agent'],
    ]);
    expect(finals.filter((m) => m.utterance.role === 'user').map((m) => m.utterance.text)).toEqual(TURNS);
    expect(finals[2]!.utterance.metrics?.llmTtftMs).toBeGreaterThan(0);
    expect(seen.some((m) => m.type === 'interim' && m.role === 'user')).toBe(true);
    expect(seen.some((m) => m.type === 'interim' && m.role === 'agent')).toBe(true);

    // A late joiner (same guest session) gets the transcript so far from the relay.
    const late = await openTranscript(stack.gatewayUrl, conversationId, { cookie: client.cookieHeader() });
    const snap = await late.next('snapshot');
    expect(snap.utterances.map((u) => u.seq)).toEqual([0, 1, 2, 3, 4]);
    late.ws.close();

    await caller.hangUp();
    await waitFor(
      async () => (await client.get(`/api/calls/${conversationId}`)).body?.status === 'ended',
      15_000,
      'call ended',
    );
    expect((await client.get(`/api/calls/${conversationId}`)).body.endReason).toBe('caller_left');
    // No row anywhere: guests are relayed, never stored.
    expect(await stack.database.db('conversations').count({ n: '*' }).first()).toEqual({ n: '0' });
    expect(await stack.database.db('utterances').count({ n: '*' }).first()).toEqual({ n: '0' });
  }, 90_000);
});
