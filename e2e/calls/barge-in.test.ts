import { RoomEvent } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeSpeechWav } from '@parley/testkit';
import { startCall, VOICED_RMS, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { registerUser, waitFor } from './helpers';

/**
 * Done-when 3: the caller speaks while the agent talks; the agent's audio at the caller stops
 * promptly and the stored reply is marked interrupted and holds only what was spoken.
 */

const LONG_REPLY =
  'Let me tell you a long story about the sea. ' +
  'Long ago, sailors crossed the ocean with nothing but the stars to guide them. ' +
  'They watched the waves, the birds and the colour of the water for signs of land. ' +
  'Some journeys took many months, and the crews sang songs to keep their spirits up. ' +
  'When a storm came, every hand worked the ropes until the wind finally calmed down again.';
const SHORT_REPLY = 'Sure, go ahead.';

describe('barge-in', () => {
  let stack: Stack;
  let caller: Caller;

  beforeAll(async () => {
    stack = await startStack({
      deepgram: { transcripts: ['Tell me a story about the sea.', 'Wait, stop, I have a question.'] },
      openai: {
        ttftMs: 60,
        // the first reply is long enough to talk over; the answer to the interruption is short
        reply: ({ messages }) => (messages.filter((m) => m.role === 'user').length <= 1 ? LONG_REPLY : SHORT_REPLY),
      },
    });
  }, 120_000);

  afterAll(async () => {
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
  });

  it('stops the agent audio when the caller talks over it and records the reply as interrupted', async () => {
    const client = stack.client();
    await registerUser(client);
    const [ask, interrupt] = await Promise.all([
      synthesizeSpeechWav('Tell me a story about the sea.', { sampleRate: 48000 }),
      synthesizeSpeechWav('Wait, stop, I have a question.', { sampleRate: 48000 }),
    ]);
    caller = await startCall(client);
    const { conversationId } = caller.call;
    await caller.agentAudio.firstVoicedAfter(0, 20_000);
    await waitForAgentState(caller, 'listening');
    const states: Array<[number, string | undefined]> = [];
    caller.room.on(RoomEvent.ParticipantAttributesChanged, () => void states.push([Date.now(), caller.agentState()]));

    const { endedAt } = await caller.say(ask.pcm);
    const replyStart = await caller.agentAudio.firstVoicedAfter(endedAt, 15_000);
    await new Promise((r) => setTimeout(r, 1500)); // let the long reply play for a while

    // Talk over it. Onset = capture time of the interruption's first voiced sample (frames are
    // timestamped as they arrive, so the analysis can run after the speech was played).
    const { startedAt } = await caller.say(interrupt.pcm);
    const onset =
      startedAt +
      (Math.max(
        0,
        interrupt.pcm.findIndex((s) => Math.abs(s) >= 500),
      ) /
        48000) *
        1000;

    // The last voiced agent frame after the onset, before a pause of 400 ms or more.
    const voiced = caller.agentAudio.frames.filter((f) => f.at >= onset - 20 && f.rms >= VOICED_RMS);
    let lastBeforeGap = onset;
    for (let i = 0; i < voiced.length; i++) {
      const next = voiced[i + 1];
      lastBeforeGap = voiced[i]!.at;
      if (!next || next.at - voiced[i]!.at >= 400) break;
    }
    const stopMs = lastBeforeGap - onset;
    console.info(
      `agent states (ms from onset): ${states.map(([t, st]) => `${st}@${Math.round(t - onset)}`).join(' ')}`,
    );
    console.info(
      `barge-in: caller speech onset → last voiced agent frame ${stopMs} ms (reply had played ${onset - replyStart} ms)`,
    );
    // The target (bench bargein) is p95 ≤ 300 ms; a single call on a loaded machine gets twice that.
    expect(stopMs).toBeLessThan(600);

    // The agent then answers the interruption.
    await caller.agentAudio.firstVoicedAfter(lastBeforeGap + 400, 15_000);

    await waitFor(
      async () => (await stack.database.db('utterances').where({ conversation_id: conversationId })).length >= 5,
      10_000,
      'five utterances',
    );
    const rows = await stack.database.db('utterances').where({ conversation_id: conversationId }).orderBy('seq');
    expect(rows.map((r) => [r.seq, r.role])).toEqual([
      [0, 'agent'],
      [1, 'user'],
      [2, 'agent'],
      [3, 'user'],
      [4, 'agent'],
    ]);
    const cut = rows[2]!;
    expect(cut.interrupted).toBe(true);
    const spoken = cut.text.replace(/\s+/g, ' ').trim();
    expect(spoken.length).toBeGreaterThan(10);
    expect(spoken.length).toBeLessThan(LONG_REPLY.length * 0.8);
    expect(LONG_REPLY.startsWith(spoken.slice(0, 20))).toBe(true);
    expect(rows[3]!.text).toBe('Wait, stop, I have a question.');
    expect(rows[4]!.interrupted).toBe(false);
    expect(rows[4]!.text).toBe(SHORT_REPLY);
    console.info(`interrupted reply kept ${spoken.length}/${LONG_REPLY.length} characters`);
  }, 90_000);

  it('lets a backchannel over the reply pass: the reply resumes, plays to its end and is stored whole', async () => {
    await caller?.hangUp();
    const client = stack.client();
    await registerUser(client);
    const [ask, mhm] = await Promise.all([
      synthesizeSpeechWav('Tell me a story about the sea.', { sampleRate: 48000 }),
      synthesizeSpeechWav('Mm hmm.', { sampleRate: 48000 }),
    ]);
    caller = await startCall(client);
    const { conversationId } = caller.call;
    await caller.agentAudio.firstVoicedAfter(0, 20_000);
    await waitForAgentState(caller, 'listening');
    stack.fakes.deepgram.enqueue('Tell me a story about the sea.');
    const { endedAt } = await caller.say(ask.pcm);
    const replyStart = await caller.agentAudio.firstVoicedAfter(endedAt, 15_000);
    await new Promise((r) => setTimeout(r, 1500));
    // What a recogniser writes for it (Deepgram: "Mm-hmm."), scripted into the fake STT.
    stack.fakes.deepgram.enqueue('Mm-hmm.');
    const { startedAt } = await caller.say(mhm.pcm);
    // The reply goes on: voiced agent audio again within 1.5 s of the sound's end...
    const soundEnd = startedAt + (mhm.pcm.length / 48000) * 1000;
    const again = await caller.agentAudio.firstVoicedAfter(soundEnd, 5_000);
    expect(again - soundEnd).toBeLessThan(1500);
    // ...and plays to its end (the fake TTS speaks 55 ms per character), with no other reply.
    const replyEnd = await caller.agentAudio.silentFor(800, again, 40_000);
    console.info(
      `backchannel: reply resumed ${Math.round(again - soundEnd)} ms after the sound, played ${replyEnd - replyStart} ms`,
    );
    expect(replyEnd - replyStart).toBeGreaterThan(LONG_REPLY.length * 55 * 0.8);
    expect(stack.fakes.deepgram.transcriptsSent).toContain('Mm-hmm.');

    await waitFor(
      async () => (await stack.database.db('utterances').where({ conversation_id: conversationId })).length >= 3,
      10_000,
      'three utterances',
    );
    await new Promise((r) => setTimeout(r, 1000));
    const rows = await stack.database.db('utterances').where({ conversation_id: conversationId }).orderBy('seq');
    expect(rows.map((r) => [r.seq, r.role])).toEqual([
      [0, 'agent'],
      [1, 'user'],
      [2, 'agent'],
    ]);
    expect(rows[2]!.interrupted).toBe(false);
    expect(rows[2]!.text.replace(/\s+/g, ' ').trim()).toBe(LONG_REPLY);
  }, 90_000);
});
