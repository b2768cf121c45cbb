import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DegradedProvider, ProviderStage, TurnMetrics } from '@parley/protocol';
import { startFakeOpenAI, synthesizeSpeechWav, type FakeOpenAI, type SpeechWav } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { registerUser, waitFor } from './helpers';

/**
 * Issue 17, provider failover mid-call: for the STT, the LLM and the TTS the primary provider fails
 * in the middle of a call (its fake's fault knob, set after a first exchange the primary served),
 * the agents FallbackAdapter hands the stage to the next provider, and:
 *   - the caller's next sentence is heard, answered, and the answer is heard (rtc-node caller);
 *   - the stored turns say which provider served them (metrics.servedBy): primary before, fallback after;
 *   - /readyz and /api/providers name the failing provider and its fallback (the web banner reads the latter).
 * For the STT the OpenAI realtime socket is dropped and reconnects refused; Deepgram behind it hears
 * the second sentence (agent/src/providers/openai-stt.ts makes the drop a failure the adapter sees).
 * Each stage also stalls (connection open, no data): the fallback takes over within the adapter's
 * per-attempt timeout (for the STT, the sentence said to the stalled recogniser is lost and said again).
 */

const SAID = ['tell me about the moon', 'and what about the sun'];
const FALLBACK_REPLY = 'The second language model answers this one.';

interface Case {
  stage: ProviderStage;
  fault: string;
  primary: string;
  fallback: string;
  /** Agent environment selecting the primary and the fallback (the second LLM fake's URL for the LLM case). */
  agentEnv(second: FakeOpenAI): Record<string, string>;
  /** Sets the primary's fault knob. */
  inject(stack: Stack): void;
  /** How many requests/connections the fault hit. */
  hits(stack: Stack): number;
  /**
   * A stalled stream (connection open, no data): the adapter's per-attempt timeout it must fail
   * over within; the reply to the second sentence is heard before it has passed by a margin.
   */
  stallTimeoutMs?: number;
}

const CASES: Case[] = [
  {
    stage: 'stt',
    fault: 'connection dropped, reconnects refused (OpenAI realtime transcription)',
    primary: 'openai',
    fallback: 'deepgram',
    agentEnv: () => ({ STT_PROVIDER: 'openai', OPENAI_STT_REALTIME: 'true' }),
    inject: (s) => void (s.fakes.openai.faults.realtime = 'drop'),
    hits: (s) => s.fakes.openai.faultsInjected.realtime,
  },
  {
    stage: 'stt',
    fault: 'stalled: socket open, no transcripts (OpenAI realtime transcription)',
    primary: 'openai',
    fallback: 'deepgram',
    agentEnv: () => ({ STT_PROVIDER: 'openai', OPENAI_STT_REALTIME: 'true' }),
    inject: (s) => void (s.fakes.openai.faults.realtime = 'stall'),
    hits: (s) => s.fakes.openai.faultsInjected.realtime,
    stallTimeoutMs: 10_000, // agents' stt.FallbackAdapter attemptTimeoutMs, applied by providers/openai-stt.ts
  },
  {
    stage: 'llm',
    fault: 'HTTP 500 (OpenAI chat completions)',
    primary: 'openai',
    fallback: 'openai-compatible',
    agentEnv: (second) => ({ LLM_BASE_URL: second.baseURL, LLM_MODEL: 'llama3.2' }),
    inject: (s) => void (s.fakes.openai.faults.chat = 'http_500'),
    hits: (s) => s.fakes.openai.faultsInjected.chat,
  },
  {
    stage: 'tts',
    fault: 'connection dropped (OpenAI /audio/speech)',
    primary: 'openai',
    fallback: 'cartesia',
    agentEnv: () => ({ TTS_PROVIDER: 'openai' }),
    inject: (s) => void (s.fakes.openai.faults.speech = 'drop'),
    hits: (s) => s.fakes.openai.faultsInjected.speech,
  },
  {
    stage: 'llm',
    fault: 'stalled stream: 200 and headers, then no token (OpenAI chat completions)',
    primary: 'openai',
    fallback: 'openai-compatible',
    agentEnv: (second) => ({ LLM_BASE_URL: second.baseURL, LLM_MODEL: 'llama3.2' }),
    inject: (s) => void (s.fakes.openai.faults.chat = 'stall'),
    hits: (s) => s.fakes.openai.faultsInjected.chat,
    stallTimeoutMs: 5_000, // agents' llm.FallbackAdapter attemptTimeout
  },
  {
    stage: 'tts',
    fault: 'stalled: request accepted, no audio (OpenAI /audio/speech)',
    primary: 'openai',
    fallback: 'cartesia',
    agentEnv: () => ({ TTS_PROVIDER: 'openai' }),
    inject: (s) => void (s.fakes.openai.faults.speech = 'stall'),
    hits: (s) => s.fakes.openai.faultsInjected.speech,
    stallTimeoutMs: 5_000, // providers/openai-tts.ts: MAX_WAIT_MS (under agents' 10 s TTS read-idle timeout)
  },
];

type Row = { seq: number; role: string; text: string; metrics: TurnMetrics | null };

// Two cases at a time (the stack project's maxConcurrency), each on its own stack: a case is mostly
// waiting on a call's turns and on the adapters' timeouts, and the density benchmark carries four
// calls on two cores.
describe.concurrent.each(CASES)('failover mid-call: $stage, $fault', (c) => {
  let stack: Stack;
  let second: FakeOpenAI;
  let caller: Caller | undefined;
  let speech: SpeechWav[];

  beforeAll(async () => {
    second = await startFakeOpenAI({ reply: () => FALLBACK_REPLY });
    [stack, speech] = await Promise.all([
      startStack({
        // The STT case's primary (OpenAI realtime) hears the first sentence, its fallback (Deepgram) the second.
        deepgram: { transcripts: c.stage === 'stt' ? [SAID[1]!] : [...SAID] },
        openai: { ttftMs: 60, transcriptions: [SAID[0]!] },
        agentEnv: c.agentEnv(second),
      }),
      Promise.all(SAID.map((t) => synthesizeSpeechWav(t, { voice: 'flite', sampleRate: 48000 }))),
    ]);
  }, 120_000);

  afterAll(async () => {
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
    await second?.close();
  });

  it('hands the stage to the fallback within the call: the reply is heard, the turn says who served it, /readyz says degraded', async () => {
    const client = stack.client();
    await registerUser(client);
    expect((await client.get('/readyz')).body.components.failover).toMatchObject({ status: 'ok', degraded: [] });
    caller = await startCall(client);
    const { conversationId } = caller.call;

    // A first exchange, served by the primary.
    const greetingAt = await caller.agentAudio.firstVoicedAfter(0, 30_000);
    await caller.agentAudio.silentFor(800, greetingAt, 30_000);
    await waitForAgentState(caller, 'listening', 30_000);
    const one = await caller.say(speech[0]!.pcm);
    const firstReplyAt = await caller.agentAudio.firstVoicedAfter(one.endedAt + 300, 30_000);
    await caller.agentAudio.silentFor(800, firstReplyAt, 30_000);
    await waitForAgentState(caller, 'listening', 30_000);

    // The primary fails while the call is in flight.
    expect(c.hits(stack)).toBe(0);
    c.inject(stack);
    const faultAt = Date.now();
    // The recogniser streams all the time: its dropped socket shows before the caller speaks again.
    const failoverReported = () =>
      waitFor(
        async () => (await client.get('/readyz')).body.components.failover.degraded.length > 0,
        30_000,
        'the STT failover reported',
      );
    if (c.stage === 'stt' && !c.stallTimeoutMs) await failoverReported();
    if (c.stage === 'stt' && c.stallTimeoutMs) {
      // A stalled recogniser shows only once the caller has spoken to it: these words are lost
      // (the adapter does not replay them to the fallback); the caller says them again.
      const lost = await caller.say(speech[1]!.pcm);
      await failoverReported();
      console.info(
        `[stt] stalled primary: failover reported ${Date.now() - lost.endedAt} ms after the caller's speech`,
      );
      expect(Date.now() - lost.endedAt).toBeLessThan(c.stallTimeoutMs + 5_000);
    }
    const two = await caller.say(speech[1]!.pcm);
    const secondReplyAt = await caller.agentAudio.firstVoicedAfter(two.endedAt + 300, 30_000);
    expect(secondReplyAt).toBeGreaterThan(faultAt);
    if (c.stallTimeoutMs && c.stage !== 'stt') {
      console.info(
        `[${c.stage}] stalled primary: reply heard ${secondReplyAt - two.endedAt} ms after the caller's speech`,
      );
      expect(secondReplyAt - two.endedAt).toBeLessThan(c.stallTimeoutMs + 5_000);
    }
    expect(c.hits(stack)).toBeGreaterThan(0);
    expect(caller.room.remoteParticipants.has(caller.agentIdentity)).toBe(true); // still the same call

    // Stored turns: greeting, first exchange (primary), second exchange (fallback).
    let rows: Row[] = [];
    await waitFor(
      async () => {
        rows = await stack.database.db('utterances').where({ conversation_id: conversationId }).orderBy('seq');
        return rows.length >= 5 && rows.at(-1)?.role === 'agent';
      },
      30_000,
      'both exchanges stored',
    );
    console.info(`[${c.stage}] stored: ${JSON.stringify(rows.map((r) => [r.role, r.text, r.metrics?.servedBy]))}`);
    expect(rows.map((r) => r.role)).toEqual(['agent', 'user', 'agent', 'user', 'agent']);
    expect(rows[1]!.text).toBe(SAID[0]);
    expect(rows[3]!.text).toBe(SAID[1]);
    const servedAt = (i: number) => rows[i]!.metrics?.servedBy?.[c.stage];
    const [before, after] = c.stage === 'stt' ? [servedAt(1), servedAt(3)] : [servedAt(2), servedAt(4)];
    expect([before, after]).toEqual([c.primary, c.fallback]);
    if (c.stage === 'llm') {
      expect(rows[4]!.text).toBe(FALLBACK_REPLY);
      expect(second.repliesStreamed).toEqual([FALLBACK_REPLY]);
    }
    if (c.stage === 'tts')
      expect(stack.fakes.cartesia.requests.map((r) => r.transcript).join('')).toContain(rows[4]!.text.split(' ')[0]);

    // Readiness and the providers report (which the web banner shows) name the failing provider.
    const expected: Partial<DegradedProvider> = {
      stage: c.stage,
      provider: c.primary as never,
      fallback: c.fallback as never,
    };
    const ready = await client.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.components.failover.status).toBe('degraded');
    expect(ready.body.components.failover.degraded).toEqual([expect.objectContaining(expected)]);
    const providers = await client.get('/api/providers');
    expect(providers.body.degraded).toEqual([expect.objectContaining(expected)]);
  }, 180_000);
});
