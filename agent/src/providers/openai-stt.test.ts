import { initializeLogger, stt } from '@livekit/agents';
import * as openaiPlugin from '@livekit/agents-plugin-openai';
import { pcmToFrames, startFakeOpenAI, synthesizeSpeechWav, type FakeOpenAI } from '@parley/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiStt } from './openai-stt';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));

const fakes: FakeOpenAI[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
const fake = async (transcript: string) => {
  const f = await startFakeOpenAI({ transcriptions: [transcript] });
  fakes.push(f);
  return f;
};
const realtime = (Stt: typeof openaiPlugin.STT, f: FakeOpenAI) =>
  new Stt({ baseURL: f.baseURL, apiKey: 'test', model: 'gpt-4o-transcribe', language: 'en', useRealtime: true });

/** Feeds speech into a stream in (sped-up) real time; resolves when every frame is pushed. */
async function speak(stream: stt.SpeechStream, pcm: Int16Array, sampleRate: number) {
  for (const frame of pcmToFrames(pcm, sampleRate, { frameMs: 20, leadSilenceMs: 300, tailSilenceMs: 1200 })) {
    stream.pushFrame(frame);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Reads a stream to its end (or a deadline), keeping the events and the STT's error events. */
function collect(model: stt.STT, stream: stt.SpeechStream, deadlineMs: number) {
  const events: stt.SpeechEvent[] = [];
  const errors: Array<{ name: string; recoverable: boolean }> = [];
  model.on('error', (e) => errors.push({ name: e.error.name, recoverable: e.recoverable }));
  const ended = (async () => {
    for await (const ev of stream) events.push(ev);
    return true;
  })();
  const done = Promise.race([ended, new Promise<boolean>((r) => setTimeout(() => r(false), deadlineMs))]);
  return { events, errors, done };
}
const finals = (events: stt.SpeechEvent[]) =>
  events.filter((e) => e.type === stt.SpeechEventType.FINAL_TRANSCRIPT).map((e) => e.alternatives?.[0]?.text);

describe('OpenAI realtime STT when the server drops its socket mid-call', () => {
  it("the plugin's own stream ends as if the audio had ended: no error, nothing more heard (why OpenAiStt exists)", async () => {
    const f = await fake('First words.');
    const speech = await synthesizeSpeechWav('first words', { voice: 'flite' });
    const model = realtime(openaiPlugin.STT, f);
    const stream = model.stream();
    const read = collect(model, stream, 8000);
    await speak(stream, speech.pcm, speech.sampleRate);
    f.faults.realtime = 'drop';
    await speak(stream, speech.pcm, speech.sampleRate);
    expect(f.faultsInjected.realtime).toBeGreaterThan(0);
    expect(await read.done).toBe(true); // ended while the caller's audio had not
    expect(read.errors).toEqual([]);
    stream.close();
  }, 30_000);

  it('OpenAiStt fails the stream (non-retryable APIConnectionError) instead of ending it', async () => {
    const f = await fake('First words.');
    const speech = await synthesizeSpeechWav('first words', { voice: 'flite' });
    const model = realtime(OpenAiStt, f);
    const stream = model.stream();
    const read = collect(model, stream, 8000);
    await speak(stream, speech.pcm, speech.sampleRate);
    f.faults.realtime = 'drop';
    await speak(stream, speech.pcm, speech.sampleRate);
    expect(f.faultsInjected.realtime).toBeGreaterThan(0);
    expect(await read.done).toBe(true);
    expect(finals(read.events)).toEqual(['First words.']);
    expect(read.errors).toEqual([{ name: 'APIConnectionError', recoverable: false }]);
    stream.close();
  }, 30_000);

  it('in a FallbackAdapter the next provider hears what follows the drop, and OpenAI is marked unavailable', async () => {
    const [first, second] = [await fake('Before the drop.'), await fake('After the drop.')];
    const speech = await synthesizeSpeechWav('some words', { voice: 'flite' });
    const adapter = new stt.FallbackAdapter({
      sttInstances: [realtime(OpenAiStt, first), realtime(OpenAiStt, second)],
    });
    const availability: boolean[] = [];
    // The adapter's own event (typed loosely in 1.8.1, as in providers/health.ts).
    (adapter as unknown as { on(e: string, l: (ev: { available: boolean }) => void): void }).on(
      'stt_availability_changed',
      (ev) => availability.push(ev.available),
    );
    const stream = adapter.stream();
    const read = collect(adapter, stream, 10_000);
    await speak(stream, speech.pcm, speech.sampleRate);
    first.faults.realtime = 'drop';
    await speak(stream, speech.pcm, speech.sampleRate); // the drop happens in here
    await speak(stream, speech.pcm, speech.sampleRate); // heard by the second provider
    await new Promise((r) => setTimeout(r, 1500));
    expect(first.faultsInjected.realtime).toBeGreaterThan(0);
    expect(availability).toContain(false);
    expect(finals(read.events)).toContain('Before the drop.');
    expect(finals(read.events)).toContain('After the drop.');
    stream.close();
    await adapter.close();
  }, 40_000);
});

describe('OpenAI realtime STT when the server stalls (socket open, no transcripts)', () => {
  const conn = { maxRetry: 0, retryIntervalMs: 0, timeoutMs: 1500 };

  it('OpenAiStt fails the stream once timeoutMs has passed after the caller spoke with no transcript', async () => {
    const f = await fake('Never sent.');
    f.faults.realtime = 'stall';
    const speech = await synthesizeSpeechWav('some words', { voice: 'flite' });
    const model = realtime(OpenAiStt, f);
    const stream = model.stream({ connOptions: conn });
    const read = collect(model, stream, 8000);
    await speak(stream, speech.pcm, speech.sampleRate);
    const spokeAt = Date.now();
    expect(await read.done).toBe(true);
    expect(Date.now() - spokeAt).toBeGreaterThanOrEqual(300);
    expect(f.faultsInjected.realtime).toBeGreaterThan(0);
    expect(finals(read.events)).toEqual([]);
    expect(read.errors).toEqual([{ name: 'APIConnectionError', recoverable: false }]);
    stream.close();
  }, 30_000);

  it('a healthy server answering within the timeout is left alone, also across silence', async () => {
    const f = await fake('Heard fine.');
    const speech = await synthesizeSpeechWav('some words', { voice: 'flite' });
    const model = realtime(OpenAiStt, f);
    const stream = model.stream({ connOptions: conn });
    const read = collect(model, stream, 5000);
    await speak(stream, speech.pcm, speech.sampleRate);
    expect(await read.done).toBe(false); // still open at the deadline: no failure
    expect(finals(read.events)).toEqual(['Heard fine.']);
    expect(read.errors).toEqual([]);
    stream.close();
  }, 30_000);

  it('in a FallbackAdapter the next provider hears the caller after the stall', async () => {
    const [first, second] = [await fake('Not from here.'), await fake('Heard by the second.')];
    first.faults.realtime = 'stall';
    const speech = await synthesizeSpeechWav('some words', { voice: 'flite' });
    const adapter = new stt.FallbackAdapter({
      sttInstances: [realtime(OpenAiStt, first), realtime(OpenAiStt, second)],
      attemptTimeoutMs: 1500,
    });
    const availability: boolean[] = [];
    (adapter as unknown as { on(e: string, l: (ev: { available: boolean }) => void): void }).on(
      'stt_availability_changed',
      (ev) => availability.push(ev.available),
    );
    const stream = adapter.stream();
    const read = collect(adapter, stream, 12_000);
    await speak(stream, speech.pcm, speech.sampleRate); // the first provider stalls on this
    await new Promise((r) => setTimeout(r, 2500));
    await speak(stream, speech.pcm, speech.sampleRate); // heard by the second provider
    await new Promise((r) => setTimeout(r, 1500));
    expect(first.faultsInjected.realtime).toBeGreaterThan(0);
    expect(availability).toContain(false);
    expect(finals(read.events)).toEqual(['Heard by the second.']);
    stream.close();
    await adapter.close();
  }, 40_000);
});
