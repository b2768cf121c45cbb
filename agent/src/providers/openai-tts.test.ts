import { initializeLogger, tts } from '@livekit/agents';
import * as openaiPlugin from '@livekit/agents-plugin-openai';
import { startFakeOpenAI, type FakeOpenAI } from '@parley/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiTts } from './openai-tts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));

// agents 1.8.1's ChunkedStream rethrows a failed synthesis after emitting 'error', from a task
// nobody awaits (the agent's job process logs such rejections): expected here for the stalled
// request (the timeout, and the SDK's abort of the request it gives up on), nothing else.
const rejections: string[] = [];
const onRejection = (reason: unknown) =>
  rejections.push(`${(reason as Error)?.constructor?.name}: ${(reason as Error)?.message}`);
beforeAll(() => void process.on('unhandledRejection', onRejection));
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 300));
  process.off('unhandledRejection', onRejection);
  expect(rejections.filter((r) => !/^(APITimeoutError|APIUserAbortError): /.test(r))).toEqual([]);
});

const fakes: FakeOpenAI[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
const fake = async () => {
  const f = await startFakeOpenAI({});
  fakes.push(f);
  return f;
};
const make = (Tts: typeof openaiPlugin.TTS, f: FakeOpenAI) => {
  const model = new Tts({ baseURL: f.baseURL, apiKey: 'test', model: 'tts-1', voice: 'alloy' });
  model.on('error', () => undefined); // errors are asserted through the stream (and below)
  return model;
};

/** Reads a synthesis to its end or a deadline: frames received, the error thrown (if any), and when. */
async function read(stream: AsyncIterable<tts.SynthesizedAudio>, deadlineMs: number) {
  const started = Date.now();
  let frames = 0;
  const outcome = await Promise.race([
    (async () => {
      try {
        for await (const a of stream) if (a.frame.samplesPerChannel > 0) frames++;
        return 'ended';
      } catch (err) {
        return (err as Error).name;
      }
    })(),
    new Promise<string>((r) => setTimeout(() => r('still waiting'), deadlineMs)),
  ]);
  return { frames, outcome, ms: Date.now() - started };
}

const conn = { maxRetry: 0, retryIntervalMs: 0, timeoutMs: 800 };

describe('OpenAI TTS when /audio/speech stalls (accepted, nothing sent)', () => {
  it("the plugin's own synthesis waits past its connOptions timeout (why OpenAiTts exists)", async () => {
    const f = await fake();
    f.faults.speech = 'stall';
    const model = make(openaiPlugin.TTS, f);
    const r = await read(model.synthesize('Hello there.', conn), 3000);
    expect(r.outcome).toBe('still waiting');
    expect(f.faultsInjected.speech).toBe(1);
    await model.close();
  });

  it('OpenAiTts fails the attempt once connOptions.timeoutMs has passed', async () => {
    const f = await fake();
    f.faults.speech = 'stall';
    const model = make(OpenAiTts, f);
    const errors: string[] = [];
    model.on('error', (e) => errors.push(e.error.name));
    const r = await read(model.synthesize('Hello there.', conn), 5000);
    expect(r.frames).toBe(0);
    expect(r.outcome).not.toBe('still waiting');
    expect(r.ms).toBeGreaterThanOrEqual(700);
    expect(r.ms).toBeLessThan(3000);
    expect(errors).toContain('APITimeoutError');
    await model.close();
  });

  it('in a FallbackAdapter the second TTS speaks the sentence; a healthy server is unaffected', async () => {
    const [bad, good] = [await fake(), await fake()];
    bad.faults.speech = 'stall';
    const adapter = new tts.FallbackAdapter({ ttsInstances: [make(OpenAiTts, bad), make(OpenAiTts, good)] });
    adapter.on('error', () => undefined);
    const r = await read(adapter.synthesize('Hello there.', conn), 8000);
    expect(r.outcome).toBe('ended');
    expect(r.frames).toBeGreaterThan(0);
    expect(bad.faultsInjected.speech).toBeGreaterThan(0);
    const healthy = await read(make(OpenAiTts, good).synthesize('Hello again.', conn), 5000);
    expect(healthy.outcome).toBe('ended');
    expect(healthy.frames).toBeGreaterThan(0);
    await adapter.close();
  }, 20_000);
});
