import { initializeLogger, tts } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLocalTts } from './index.js';
import { rmsDbfs, toFrames } from '@parley/testkit/speech';
import { ESPEAK_SAMPLE_RATE, LocalTTS } from './tts.js';

function pcmOf(frames: AudioFrame[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.samplesPerChannel, 0));
  let offset = 0;
  for (const f of frames) {
    out.set(f.data.subarray(0, f.samplesPerChannel), offset);
    offset += f.samplesPerChannel;
  }
  return out;
}

async function synthesize(engine: LocalTTS, text: string) {
  const events: tts.SynthesizedAudio[] = [];
  for await (const ev of engine.synthesize(text)) events.push(ev);
  return { events, pcm: pcmOf(events.map((e) => e.frame)) };
}

describe('local TTS (espeak-ng)', () => {
  beforeAll(() => initializeLogger({ pretty: false, level: 'warn' }));

  it('speaks a sentence as non-silent mono frames at the declared rate', async () => {
    const engine = createLocalTts({ voice: null, language: 'en' }) as LocalTTS;
    expect(engine).toBeInstanceOf(tts.TTS);
    expect(engine.capabilities.streaming).toBe(false);
    expect(engine.sampleRate).toBe(ESPEAK_SAMPLE_RATE);
    const { events, pcm } = await synthesize(engine, 'Hello, this is Parley speaking without any keys.');
    expect(events.length).toBeGreaterThan(50);
    for (const ev of events) {
      expect(ev.frame.sampleRate).toBe(engine.sampleRate);
      expect(ev.frame.channels).toBe(1);
    }
    expect(events.filter((e) => e.final)).toEqual([events.at(-1)]);
    const seconds = pcm.length / engine.sampleRate;
    expect(seconds).toBeGreaterThan(1.5);
    expect(seconds).toBeLessThan(6);
    expect(rmsDbfs(pcm)).toBeGreaterThan(-35);
  });

  it('takes the voice from preferences when espeak-ng knows it, else from the language', async () => {
    expect(new LocalTTS({ voice: null, language: 'en' }).voice).toBe('en-us');
    expect(new LocalTTS({ voice: null, language: 'es' }).voice).toBe('es');
    expect(new LocalTTS({ voice: 'en-gb', language: 'es' }).voice).toBe('en-gb');
    expect(new LocalTTS({ voice: 'en-us+f3', language: 'en' }).voice).toBe('en-us+f3');
    // A cloud voice id from another provider is not an espeak voice.
    expect(new LocalTTS({ voice: 'alloy', language: 'fr' }).voice).toBe('fr');
    expect(new LocalTTS({ voice: 'en-us+nosuchvariant', language: 'de' }).voice).toBe('de');
  });

  it('sounds different with a different voice', async () => {
    const text = 'Good morning, how are you today?';
    const male = await synthesize(new LocalTTS({ voice: 'en-us', language: 'en' }), text);
    const female = await synthesize(new LocalTTS({ voice: 'en-us+f3', language: 'en' }), text);
    const spanish = await synthesize(new LocalTTS({ voice: null, language: 'es' }), text);
    expect(rmsDbfs(female.pcm)).toBeGreaterThan(-35);
    const same = (a: Int16Array, b: Int16Array) => a.length === b.length && a.every((v, i) => v === b[i]);
    expect(same(male.pcm, female.pcm)).toBe(false);
    expect(same(male.pcm, spanish.pcm)).toBe(false);
    // Pitch differs: the f3 variant crosses zero more often than the default male voice.
    const crossings = (p: Int16Array) => p.reduce((n, v, i) => n + (i > 0 && v >= 0 !== p[i - 1]! >= 0 ? 1 : 0), 0);
    expect(crossings(female.pcm) / female.pcm.length).toBeGreaterThan(crossings(male.pcm) / male.pcm.length);
    // Same voice, same text: deterministic.
    const again = await synthesize(new LocalTTS({ voice: 'en-us', language: 'en' }), text);
    expect(same(male.pcm, again.pcm)).toBe(true);
  });

  it('kills espeak-ng when the synthesis is aborted (barge-in)', async () => {
    const engine = new LocalTTS({ voice: null, language: 'en' });
    const long = 'This is a very long answer that keeps going and going. '.repeat(3_000);
    const controller = new AbortController();
    const stream = engine.synthesize(long, undefined, controller.signal);
    const first = await stream.next();
    expect(first.done).toBe(false);
    expect(stream.pid).toBeGreaterThan(0);
    controller.abort();
    let frames = 1;
    for await (const _ of stream) frames++;
    await expect.poll(() => stream.exitStatus, { timeout: 2_000 }).toMatchObject({ signal: 'SIGKILL' });
    // Far less than the full text's audio (~3,000 × 3 s) was produced.
    expect(frames * 0.02).toBeLessThan(3_000);
  });

  it('reports a missing espeak-ng as a non-retryable error event', async () => {
    const saved = process.env.PARLEY_ESPEAK_BIN;
    process.env.PARLEY_ESPEAK_BIN = '/nonexistent/espeak-ng';
    // ChunkedStream rethrows after emitting 'error'; the agent's job process logs such rejections.
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const engine = new LocalTTS({ voice: 'en-us', language: 'en' });
      const errors: Parameters<tts.TTSCallbacks['error']>[0][] = [];
      engine.on('error', (e) => errors.push(e));
      const frames: unknown[] = [];
      for await (const ev of engine.synthesize('Hello.')) frames.push(ev);
      expect(frames).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ recoverable: false, label: 'local.EspeakNG' });
      expect(errors[0]!.error.message).toMatch(/espeak-ng failed \(spawn .*ENOENT\)/);
      await expect.poll(() => rejections).toEqual([errors[0]!.error]);
    } finally {
      process.off('unhandledRejection', onRejection);
      if (saved === undefined) delete process.env.PARLEY_ESPEAK_BIN;
      else process.env.PARLEY_ESPEAK_BIN = saved;
    }
  });

  it('streams sentence by sentence through the framework adapter', async () => {
    const engine = new LocalTTS({ voice: null, language: 'en' });
    const stream = engine.stream();
    stream.pushText('First sentence here. ');
    stream.pushText('And a second one.');
    stream.flush();
    stream.endInput();
    const frames: AudioFrame[] = [];
    for await (const ev of stream) {
      if (ev === tts.SynthesizeStream.END_OF_STREAM) break;
      frames.push(ev.frame);
    }
    expect(pcmOf(frames).length / ESPEAK_SAMPLE_RATE).toBeGreaterThan(1.5);
  });

  it('frames fixtures the same way the recogniser expects', () => {
    const frames = toFrames(new Int16Array(480 * 3 + 7), 48_000);
    expect(frames.map((f) => f.samplesPerChannel)).toEqual([480, 480, 480, 7]);
  });
});
