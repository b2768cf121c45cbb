import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage, Utterance } from '@parley/protocol';
import { synthesizeSpeechWav, type SpeechWav } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { openTranscript, type TranscriptSocket } from '@parley/testkit/calls';
import { voicedSpan, wordOverlap } from '@parley/testkit/speech';
import { registerUser, waitFor } from './helpers';

/**
 * Issue 17: every word the caller says is heard, whatever the agent is doing, with every STT kind
 * Parley offers. One call per STT kind, three timings in it:
 *   1. the caller talks over the greeting (from ~0.3 s into it),
 *   2. the caller talks over a long reply (1.5 s into it),
 *   3. the caller talks after the agent finished.
 * Each sentence must reach the live transcript (the gateway's socket), the database (in spoken
 * order, the cut-off agent lines stored as played) and the LLM's request, and be answered.
 * PocketSphinx recognises the flite speech for real; the fakes transcribe by energy from a script
 * (they only answer if the caller's audio, not silence, reached them).
 */

const SAID = ['what is the weather like on the moon', 'wait stop I have a question', 'what is the capital of france'];
const GREETING = 'Hi, this is Parley. What would you like to talk about?';
const LONG_REPLY =
  'Let me tell you a long story about the moon. ' +
  'Long ago, people watched the moon rise over the sea and wondered what it was made of. ' +
  'Some thought it was a mirror, others a lamp hung in the sky by the gods. ' +
  'Much later, telescopes showed its mountains, its plains and its deep round craters. ' +
  'And then, one summer night, two people walked on it and looked back at the blue earth.';
const SHORT_REPLY = 'Sure, here is a short answer.';
/**
 * A stored user turn against the voiced audio the caller sent: how much earlier or later its start
 * and end may lie (the WebRTC transport's delay, more on a loaded machine), and how much its length
 * may differ (VAD windows; less than a word).
 */
const SPAN = { earlyMs: 100, lateMs: 600, lengthMs: 200 };

interface Kind {
  name: string;
  agentEnv: Record<string, string>;
  /** The fakes transcribe from a script; PocketSphinx recognises. */
  scripted: boolean;
  /** Which fake (if any) must have received the caller's audio. */
  heardBy?: (stack: Stack) => number;
}

const KINDS: Kind[] = [
  {
    name: 'Deepgram (streaming)',
    agentEnv: {},
    scripted: true,
    heardBy: (s) => s.fakes.deepgram.transcriptsSent.length,
  },
  {
    name: 'OpenAI realtime transcription',
    agentEnv: { STT_PROVIDER: 'openai' },
    scripted: true,
    heardBy: (s) => s.fakes.openai.realtimeSessions.reduce((n, x) => n + x.completed.length, 0),
  },
  {
    name: 'OpenAI-compatible /audio/transcriptions (VAD segments)',
    agentEnv: { STT_PROVIDER: 'openai', OPENAI_STT_REALTIME: 'false' },
    scripted: true,
    heardBy: (s) => s.fakes.openai.transcriptionRequests,
  },
  { name: 'local PocketSphinx (real recognition)', agentEnv: { STT_PROVIDER: 'local' }, scripted: false },
];

const userTexts = (messages: Array<{ role: string; content: unknown }>) =>
  messages.filter((m) => m.role === 'user').map((m) => String(m.content));

describe.each(KINDS)('talking over the agent: $name', (kind) => {
  let stack: Stack;
  let caller: Caller;
  let socket: TranscriptSocket;
  let speech: SpeechWav[];

  beforeAll(async () => {
    [stack, speech] = await Promise.all([
      startStack({
        deepgram: { transcripts: [...SAID] },
        openai: {
          ttftMs: 60,
          transcriptions: [...SAID],
          reply: ({ messages }) => (userTexts(messages).length === 1 ? LONG_REPLY : SHORT_REPLY),
        },
        agentEnv: kind.agentEnv,
      }),
      Promise.all(SAID.map((t) => synthesizeSpeechWav(t, { voice: 'flite', sampleRate: 48000 }))),
    ]);
  }, 120_000);

  afterAll(async () => {
    socket?.ws.close();
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
  });

  it('hears the caller during the greeting, during a reply and after it, and answers each time', async () => {
    const client = stack.client();
    await registerUser(client);
    caller = await startCall(client);
    const { conversationId } = caller.call;
    socket = await openTranscript(stack.gatewayUrl, conversationId, { cookie: client.cookieHeader() });
    await socket.next('snapshot');
    const answered = async (endedAt: number) => {
      const t = await caller.agentAudio.firstVoicedAfter(endedAt + 300, 30_000);
      return t;
    };

    // 1. Over the greeting.
    const greetingAt = await caller.agentAudio.firstVoicedAfter(0, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    const one = await caller.say(speech[0]!.pcm);
    expect(one.startedAt - greetingAt).toBeLessThan(1500); // the greeting (~3 s) was still playing
    const replyAt = await answered(one.endedAt);

    // 2. Over the (long) reply.
    await new Promise((r) => setTimeout(r, 1500));
    const two = await caller.say(speech[1]!.pcm);
    expect(caller.agentAudio.voiced(replyAt).some((f) => f.at > two.startedAt - 200)).toBe(true);
    await answered(two.endedAt);

    // 3. After the agent finished.
    await caller.agentAudio.silentFor(800, two.endedAt, 30_000);
    await waitForAgentState(caller, 'listening', 30_000);
    const three = await caller.say(speech[2]!.pcm);
    await answered(three.endedAt);

    // The database: greeting, then each user turn followed by its answer, in spoken order.
    type Row = { seq: number; role: string; text: string; interrupted: boolean; started_at: Date; ended_at: Date };
    let rows: Row[] = [];
    await waitFor(
      async () => {
        rows = await stack.database.db('utterances').where({ conversation_id: conversationId }).orderBy('seq');
        return rows.filter((r) => r.role === 'user').length >= 3 && rows.at(-1)?.role === 'agent';
      },
      30_000,
      'three user turns and the last answer stored',
    );
    // Gaps in the caller's own sending (its test process starved) would garble what is heard.
    const underruns = `mic frames sent late: ${caller.mic.underruns}`;
    console.info(
      `[${kind.name}] ${underruns}; stored: ${JSON.stringify(rows.map((r) => [r.role, r.text, r.interrupted]))}`,
    );
    expect(rows.map((r) => r.role)).toEqual(['agent', 'user', 'agent', 'user', 'agent', 'user', 'agent']);
    // Each stored user turn spans the sentence as the caller sent it, whatever a recogniser made of
    // it. Its start and end (the agent's VAD, backdated to where speech began and ended) follow the
    // first and last voiced sample the caller sent by the transport's delay (47-156 ms in 48 turns), and it
    // lasts as long as the voiced audio did (17-89 ms longer): a sentence that lost a word at
    // its head or tail (a word of these is 250-450 ms), or was split into two turns, fails here.
    const userRows = rows.filter((r) => r.role === 'user');
    const spans = [one, two, three].map((sent, i) => {
      const voiced = voicedSpan(speech[i]!.pcm, speech[i]!.sampleRate)!;
      const row = userRows[i]!;
      return {
        startLag: Math.round(row.started_at.getTime() - (sent.startedAt + voiced.startMs)),
        endLag: Math.round(row.ended_at.getTime() - (sent.startedAt + voiced.endMs)),
      };
    });
    console.info(`[${kind.name}] user turn span against the voiced audio sent (ms): ${JSON.stringify(spans)}`);
    for (const [i, { startLag, endLag }] of spans.entries()) {
      for (const lag of [startLag, endLag]) {
        expect(lag, `turn ${i + 1}: its time against the audio sent`).toBeGreaterThanOrEqual(-SPAN.earlyMs);
        expect(lag, `turn ${i + 1}: its time against the audio sent`).toBeLessThanOrEqual(SPAN.lateMs);
      }
      expect(Math.abs(endLag - startLag), `turn ${i + 1}: its length against the audio sent`).toBeLessThanOrEqual(
        SPAN.lengthMs,
      );
    }
    const users = rows.filter((r) => r.role === 'user').map((r) => r.text);
    if (kind.scripted) expect(users).toEqual(SAID);
    else {
      // PocketSphinx hears these flite sentences exactly from the file, also trimmed, with noise or
      // a 50 ms hole. Through WebRTC on a loaded machine it mishears one to three of their words
      // ("wait stop by the question"); why is not known (no recording of what the agent received
      // was made; Opus and the receiver's jitter buffer under CPU starvation are a guess). That the
      // whole sentence was heard is the span check above; what is asked of the recogniser here:
      // each turn is recognisably the sentence said then, at least a third of its words and more
      // of them than of either other sentence.
      for (let i = 0; i < 3; i++) {
        const own = wordOverlap(SAID[i]!, users[i]!);
        const others = SAID.filter((_, j) => j !== i).map((other) => wordOverlap(other, users[i]!));
        const why = `heard "${users[i]}" for "${SAID[i]}"; ${underruns}`;
        expect(own, why).toBeGreaterThanOrEqual(1 / 3);
        expect(own, why).toBeGreaterThan(Math.max(...others));
      }
    }
    expect(kind.heardBy?.(stack) ?? 3).toBeGreaterThanOrEqual(3);

    // Cut-off agent lines are stored as played: a prefix of what was generated, marked interrupted.
    const [greeting, long] = [rows[0]!, rows[2]!];
    expect(GREETING.startsWith(greeting.text.replace(/\s+/g, ' ').trim())).toBe(true);
    expect(greeting.interrupted).toBe(greeting.text.trim().length < GREETING.length);
    expect(long.interrupted).toBe(true);
    expect(long.text.length).toBeLessThan(LONG_REPLY.length * 0.8);
    expect(LONG_REPLY.startsWith(long.text.replace(/\s+/g, ' ').trim().slice(0, 20))).toBe(true);
    expect(rows[4]!.text).toBe(SHORT_REPLY);
    expect(rows[6]!.text).toBe(SHORT_REPLY);

    // The LLM was asked with every user turn (the last request holds all three, in order).
    const last = stack.fakes.openai.chatRequests.at(-1)!;
    expect(userTexts(last.messages)).toEqual(users);

    // The live transcript showed the caller's words (interims) and each final user turn.
    await waitFor(
      () => socket.queued().filter((m) => m.type === 'utterance').length >= 7,
      10_000,
      'seven utterances on the socket',
    );
    const seen: ServerMessage[] = socket.queued();
    const finals = seen.flatMap((m) => (m.type === 'utterance' ? [m.utterance as Utterance] : []));
    expect(finals.filter((u) => u.role === 'user').map((u) => u.text)).toEqual(users);
    expect(seen.some((m) => m.type === 'interim' && m.role === 'user')).toBe(true);

    // None of it reached the agent worker's log (at info, as deployed): not what the caller said,
    // not the agent's lines (agents logs them under lk.pii.*, which Parley's logger redacts).
    const workerLog = stack.worker!.output.join('');
    expect(workerLog).toContain('[redacted]');
    for (const text of [...users, SHORT_REPLY, long.text.trim()]) expect(workerLog).not.toContain(text);
  }, 150_000);
});
