import { DisconnectReason, RoomEvent } from '@livekit/rtc-node';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '@parley/protocol';
import { synthesizeSpeechWav } from '@parley/testkit';
import {
  joinCall,
  startCall,
  trailingSilenceMs,
  waitForAgentState,
  type CallCreated,
  type Caller,
} from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { openTranscript, type TranscriptSocket } from '@parley/testkit/calls';
import { percentile, waitFor } from './helpers';

/**
 * Done-when 1: a signed-in user with preferences (voice, Spanish, topics, custom prompt) calls;
 * the providers were asked for what the preferences say, the caller hears the agent, a
 * WebSocket client sees both sides live, and the database holds every turn.
 */

const VOICE = 'a0e99841-438c-4a64-b679-ae501e7d6091'; // in the gateway's Cartesia catalogue
const TURNS = ['Hola, ¿qué tal estás hoy?', 'Cuéntame algo sobre el mar.', 'Muchas gracias, hasta luego.'];
const REPLY = 'Muy bien, gracias por preguntar.';

describe('a signed-in user with preferences calls the agent', () => {
  let stack: Stack;
  let caller: Caller;
  let socket: TranscriptSocket;
  const latencies: number[] = [];

  beforeAll(async () => {
    stack = await startStack({
      deepgram: { transcripts: [...TURNS] },
      openai: { ttftMs: 60, reply: () => REPLY },
    });
  }, 120_000);

  afterAll(async () => {
    socket?.ws.close();
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
  });

  it('applies the preferences at every provider, voices the replies, streams the transcript live and stores every turn', async () => {
    const client = stack.client();
    const email = `e2e-${randomBytes(4).toString('hex')}@example.com`;
    expect(
      (
        await client.post('/api/auth/register', {
          email,
          password: 'correct horse battery staple 42',
          displayName: 'Marta',
        })
      ).status,
    ).toBe(201);
    const prefs = {
      ttsVoice: VOICE,
      language: 'es',
      favoriteTopics: ['astronomía', 'navegación a vela'],
      systemPrompt: 'Llámame Capitana y sé muy breve.',
    };
    const put = await client.put('/api/me/preferences', prefs);
    expect(put.status, put.text).toBe(200);

    const speech = await Promise.all(TURNS.map((t) => synthesizeSpeechWav(t, { lang: 'es', sampleRate: 48000 })));
    caller = await startCall(client);
    const { conversationId } = caller.call;
    socket = await openTranscript(stack.gatewayUrl, conversationId, { cookie: client.cookieHeader() });
    expect((await socket.next('snapshot')).type).toBe('snapshot');

    // The greeting, then wait until the agent listens again.
    await caller.agentAudio.firstVoicedAfter(0, 20_000);
    await waitForAgentState(caller, 'listening');

    const timeline: Array<[number, string | undefined]> = [];
    caller.room.on(RoomEvent.ParticipantAttributesChanged, () => void timeline.push([Date.now(), caller.agentState()]));
    for (const pcm of speech.map((s) => s.pcm)) {
      const { endedAt } = await caller.say(pcm);
      const speechEnd = endedAt - trailingSilenceMs(pcm); // the WAV ends with silence
      const first = await caller.agentAudio.firstVoicedAfter(endedAt, 15_000);
      latencies.push(Math.round(first - speechEnd));
      console.info(
        `turn: ${timeline
          .filter(([t]) => t >= speechEnd - 3000)
          .map(([t, st]) => `${st}@${Math.round(t - speechEnd)}`)
          .join(' ')} voiced@${Math.round(first - speechEnd)}`,
      );
      await caller.agentAudio.silentFor(700, first);
      await waitForAgentState(caller, 'listening');
    }
    console.info(
      `caller end of speech → first agent audio (ms): ${latencies.join(', ')}; p50 ${percentile(latencies, 50)}`,
    );

    // Providers saw the preferences (the agent read them from the dispatch metadata).
    const dg = stack.fakes.deepgram.sessions;
    expect(dg.length).toBeGreaterThan(0);
    expect(dg.every((s) => s.query.language === 'es')).toBe(true);
    const system = String(stack.fakes.openai.chatRequests[0]!.messages[0]!.content);
    expect(stack.fakes.openai.chatRequests[0]!.messages[0]!.role).toBe('system');
    expect(system).toMatch(/^You are Parley/);
    expect(system).toContain('Always answer in Spanish');
    expect(system).toContain('Llámame Capitana y sé muy breve.');
    expect(system).toContain('astronomía; navegación a vela');
    const tts = stack.fakes.cartesia.requests;
    expect(tts.length).toBeGreaterThan(0);
    expect(tts.every((r) => r.voiceId === VOICE && r.language === 'es')).toBe(true);
    // The caller heard voiced agent audio for the greeting and three replies (≥ 2 s in all).
    expect(caller.agentAudio.voiced().length).toBeGreaterThan(200);

    // Everything is stored: greeting + 3 × (user, agent), seqs 0..6 in order.
    await waitFor(
      async () => (await stack.database.db('utterances').where({ conversation_id: conversationId })).length >= 7,
      10_000,
    );
    const rows = await stack.database.db('utterances').where({ conversation_id: conversationId }).orderBy('seq');
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(rows.map((r) => r.role)).toEqual(['agent', 'user', 'agent', 'user', 'agent', 'user', 'agent']);
    expect(rows.filter((r) => r.role === 'user').map((r) => r.text)).toEqual(TURNS);
    expect(rows.filter((r, i) => r.role === 'agent' && i > 0).every((r) => r.text === REPLY)).toBe(true);
    for (const r of rows) {
      expect(r.language).toBe('es');
      expect(new Date(r.ended_at).getTime()).toBeGreaterThanOrEqual(new Date(r.started_at).getTime());
      expect(r.interrupted).toBe(false);
    }
    for (let i = 1; i < rows.length; i++)
      expect(new Date(rows[i].started_at).getTime()).toBeGreaterThanOrEqual(
        new Date(rows[i - 1].started_at).getTime() - 50,
      );
    for (const r of rows.slice(1).filter((r) => r.role === 'agent')) {
      const m = r.metrics;
      expect(m.llmTtftMs).toBeGreaterThan(0);
      expect(m.ttsTtfbMs).toBeGreaterThan(0);
      expect(m.e2eLatencyMs).toBeGreaterThan(0);
      expect(m.endOfUtteranceDelayMs).toBeGreaterThanOrEqual(0);
      expect(m.transcriptionDelayMs).toBeGreaterThanOrEqual(0);
    }
    for (const r of rows.filter((r) => r.role === 'user'))
      expect(r.metrics.endOfUtteranceDelayMs).toBeGreaterThanOrEqual(0);
    console.info(
      'per-turn metrics (agent replies):',
      JSON.stringify(rows.filter((r) => r.role === 'agent').map((r) => r.metrics)),
    );

    // The WebSocket client saw interims and finals of both speakers and the agent's states, live.
    const seen: ServerMessage[] = socket.queued();
    const interims = seen.filter((m) => m.type === 'interim') as Extract<ServerMessage, { type: 'interim' }>[];
    expect(interims.some((m) => m.role === 'user')).toBe(true);
    expect(interims.some((m) => m.role === 'agent')).toBe(true);
    const finals = seen.filter((m) => m.type === 'utterance') as Extract<ServerMessage, { type: 'utterance' }>[];
    expect(finals.map((m) => m.utterance.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const states = seen.filter((m) => m.type === 'agent_state').map((m) => (m as { state: string }).state);
    expect(states).toEqual(expect.arrayContaining(['listening', 'thinking', 'speaking']));
    // Live: the first user interim came before that turn's final utterance.
    const firstUserInterim = seen.findIndex((m) => m.type === 'interim' && m.role === 'user');
    const firstUserFinal = seen.findIndex((m) => m.type === 'utterance' && m.utterance.role === 'user');
    expect(firstUserInterim).toBeLessThan(firstUserFinal);

    // Hanging up ends the call with the agent's reason and times.
    await caller.hangUp();
    await waitFor(
      async () => (await stack.database.db('conversations').where({ id: conversationId }).first())?.status === 'ended',
      15_000,
    );
    const conv = await stack.database.db('conversations').where({ id: conversationId }).first();
    expect(conv.end_reason).toBe('caller_left');
    expect(conv.started_at).not.toBeNull();
    expect(conv.duration_ms).toBeGreaterThan(1000);
    expect(conv.turn_count).toBe(7);
  }, 90_000);

  it('keeps the call when the caller joins again from a second connection: the first is replaced, the agent answers the second', async () => {
    const client = stack.client();
    const email = `e2e-${randomBytes(4).toString('hex')}@example.com`;
    const reg = await client.post('/api/auth/register', {
      email,
      password: 'correct horse battery staple 42',
      displayName: 'Rejoin',
    });
    expect(reg.status).toBe(201);
    const first = await startCall(client);
    const { conversationId } = first.call;
    await first.agentAudio.firstVoicedAfter(0, 20_000);
    await waitForAgentState(first, 'listening');

    // The web client's rejoin while its first connection is still in the room (same identity):
    // LiveKit replaces the first session, and both LiveKit's participant_left webhook and the
    // agent see that caller leave.
    const replaced = new Promise<DisconnectReason | undefined>((r) => first.room.once(RoomEvent.Disconnected, r));
    const again = await client.post<CallCreated>(`/api/calls/${conversationId}/rejoin`, {});
    expect(again.status).toBe(201);
    const second = await joinCall(again.body);
    expect(await replaced).toBe(DisconnectReason.DUPLICATE_IDENTITY);
    expect(second.agentIdentity).toBe(first.agentIdentity);

    // A moment for a wrongful end (the gateway's or the agent's) to land; then the same agent answers.
    await new Promise((r) => setTimeout(r, 1500));
    stack.fakes.deepgram.enqueue('Sigo aquí, desde otra conexión.');
    const { endedAt } = await second.say((await synthesizeSpeechWav('Sigo aquí.', { sampleRate: 48000 })).pcm);
    const answered = await second.agentAudio.firstVoicedAfter(endedAt, 15_000);
    await second.agentAudio.silentFor(700, answered);
    const conv = await stack.database.db('conversations').where({ id: conversationId }).first();
    expect({ status: conv.status, endReason: conv.end_reason }).toEqual({ status: 'active', endReason: null });
    const users = await stack.database.db('utterances').where({ conversation_id: conversationId, role: 'user' });
    expect(users.map((r) => r.text)).toEqual(['Sigo aquí, desde otra conexión.']);

    await second.hangUp();
    await first.hangUp().catch(() => undefined);
    await waitFor(
      async () => (await stack.database.db('conversations').where({ id: conversationId }).first())?.status === 'ended',
      15_000,
    );
    expect((await stack.database.db('conversations').where({ id: conversationId }).first()).end_reason).toBe(
      'caller_left',
    );
  }, 90_000);
});
