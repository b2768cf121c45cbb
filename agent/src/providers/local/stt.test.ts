import { initializeLogger, stt } from '@livekit/agents';
import { VAD } from '@livekit/agents-plugin-silero';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSpeechAvailable } from './engines.js';
import { createLocalStt } from './index.js';
import { LocalSTT } from './stt.js';
import { synthesizeSpeechWav, toFrames, wordOverlap } from '@parley/testkit/speech';

const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'Please call me back tomorrow morning.',
  'What time does the train leave for the city?',
];

describe('local STT (PocketSphinx)', () => {
  let recogniser: LocalSTT;
  beforeAll(() => {
    initializeLogger({ pretty: false, level: 'warn' });
    recogniser = new LocalSTT({ language: 'en' });
  });
  afterAll(async () => {
    await recogniser.close();
  });

  it('finds its engine and model on this machine', () => {
    expect(localSpeechAvailable()).toMatchObject({ stt: true });
  });

  it('is a non-streaming STT that AgentSession wraps with VAD', () => {
    const made = createLocalStt({ language: 'en' });
    expect(made).toBeInstanceOf(stt.STT);
    expect(made.capabilities.streaming).toBe(false);
    expect(() => made.stream()).toThrow(/StreamAdapter/);
    return made.close();
  });

  it('recognises flite sentences delivered as 48 kHz 10 ms frames', async () => {
    for (const sentence of SENTENCES) {
      const { pcm, sampleRate } = await synthesizeSpeechWav(sentence, { voice: 'flite', sampleRate: 48_000 });
      const event = await recogniser.recognize(toFrames(pcm, sampleRate));
      expect(event.type).toBe(stt.SpeechEventType.FINAL_TRANSCRIPT);
      const alt = event.alternatives![0];
      expect(alt.language).toBe('en');
      expect(alt.endTime).toBeCloseTo(pcm.length / sampleRate, 2);
      expect(wordOverlap(sentence, alt.text), `heard "${alt.text}" for "${sentence}"`).toBeGreaterThanOrEqual(0.6);
      expect(alt.confidence).toBeGreaterThan(0);
      expect(alt.words!.length).toBeGreaterThan(2);
    }
  });

  it('tags transcripts with the caller language and returns nothing for silence', async () => {
    const spanish = new LocalSTT({ language: 'es' });
    try {
      const silence = new Int16Array(16_000);
      const event = await spanish.recognize(toFrames(silence, 16_000));
      expect(event.alternatives![0]).toMatchObject({
        text: '',
        language: 'es',
      });
    } finally {
      await spanish.close();
    }
  });

  it('stops on abort and keeps recognising afterwards', async () => {
    const { pcm, sampleRate } = await synthesizeSpeechWav(SENTENCES[0]!, { voice: 'flite', sampleRate: 16_000 });
    const controller = new AbortController();
    const pending = recogniser.recognize(toFrames(pcm, sampleRate), controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    const event = await recogniser.recognize(toFrames(pcm, sampleRate));
    expect(wordOverlap(SENTENCES[0]!, event.alternatives![0].text)).toBeGreaterThanOrEqual(0.6);
  });

  it('refuses work once closed', async () => {
    const closed = new LocalSTT({ language: 'en' });
    await closed.close();
    await expect(closed.recognize(toFrames(new Int16Array(1600), 16_000))).rejects.toThrow(/closed/);
  });

  it('fails with a clear error when the recogniser is missing', async () => {
    const saved = process.env.PARLEY_POCKETSPHINX_BIN;
    process.env.PARLEY_POCKETSPHINX_BIN = '/nonexistent/pocketsphinx_continuous';
    const broken = new LocalSTT({ language: 'en' });
    try {
      await expect(broken.recognize(toFrames(new Int16Array(1600).fill(2000), 16_000))).rejects.toMatchObject({
        name: 'APIConnectionError',
        retryable: false,
        message: expect.stringMatching(/local STT failed: pocketsphinx exited with 127/),
      });
    } finally {
      if (saved === undefined) delete process.env.PARLEY_POCKETSPHINX_BIN;
      else process.env.PARLEY_POCKETSPHINX_BIN = saved;
      await broken.close();
    }
  });

  it('turns a VAD-segmented stream into a final transcript (the AgentSession path)', async () => {
    const vad = await VAD.load();
    const adapter = new stt.StreamAdapter(recogniser, vad);
    const stream = adapter.stream();
    const { pcm, sampleRate } = await synthesizeSpeechWav(SENTENCES[1]!, { voice: 'flite', sampleRate: 48_000 });
    const silence = new Int16Array(sampleRate);
    for (const part of [silence, pcm, silence, silence])
      for (const f of toFrames(part, sampleRate)) stream.pushFrame(f);
    const seen: stt.SpeechEventType[] = [];
    let text = '';
    for await (const ev of stream) {
      seen.push(ev.type);
      if (ev.type === stt.SpeechEventType.FINAL_TRANSCRIPT) {
        text = ev.alternatives![0].text;
        break;
      }
    }
    stream.close();
    expect(seen).toEqual([
      stt.SpeechEventType.START_OF_SPEECH,
      stt.SpeechEventType.END_OF_SPEECH,
      stt.SpeechEventType.FINAL_TRANSCRIPT,
    ]);
    expect(wordOverlap(SENTENCES[1]!, text), text).toBeGreaterThanOrEqual(0.6);
  });
});
