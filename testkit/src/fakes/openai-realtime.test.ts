import { initializeLogger, stt } from '@livekit/agents';
import * as openaiPlugin from '@livekit/agents-plugin-openai';
import * as silero from '@livekit/agents-plugin-silero';
import { WebSocket } from 'ws';
import { afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { synthesizeSpeechWav } from '../speech';
import { pcmToFrames } from './frames';
import { startFakeOpenAI, type FakeOpenAI } from './openai';

beforeAll(() => initializeLogger({ pretty: false, level: 'warn' }));

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Pushes speech (with silence after it) into a realtime stream in real time-ish chunks, collecting events. */
async function transcribe(
  sttModel: openaiPlugin.STT,
  pcm: Int16Array,
  sampleRate: number,
  untilFinals: number,
  waitMs = 10_000,
) {
  const stream = sttModel.stream();
  const events: stt.SpeechEvent[] = [];
  const reading = (async () => {
    for await (const ev of stream) {
      events.push(ev);
      if (events.filter((e) => e.type === stt.SpeechEventType.FINAL_TRANSCRIPT).length >= untilFinals) break;
    }
  })();
  for (const frame of pcmToFrames(pcm, sampleRate, { frameMs: 20, leadSilenceMs: 300, tailSilenceMs: 1200 })) {
    stream.pushFrame(frame);
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.race([reading, new Promise((r) => setTimeout(r, waitMs))]);
  stream.close();
  return events;
}

describe('fake OpenAI realtime transcription with the real openai.STT plugin (useRealtime: true)', () => {
  it('server VAD (gpt-4o-transcribe): speech_started/stopped by energy, deltas then the completed transcript', async () => {
    fake = await startFakeOpenAI({ transcriptions: ['What is the weather like on the moon?'] });
    const speech = await synthesizeSpeechWav('What is the weather like on the moon', { voice: 'flite' });
    const sttModel = new openaiPlugin.STT({
      baseURL: fake.baseURL,
      apiKey: 'test',
      model: 'gpt-4o-transcribe',
      language: 'en',
      useRealtime: true,
    });
    const events = await transcribe(sttModel, speech.pcm, speech.sampleRate, 1);
    const types = events.map((e) => e.type);
    expect(types).toContain(stt.SpeechEventType.START_OF_SPEECH);
    expect(types).toContain(stt.SpeechEventType.INTERIM_TRANSCRIPT);
    const final = events.find((e) => e.type === stt.SpeechEventType.FINAL_TRANSCRIPT);
    expect(final?.alternatives?.[0]?.text).toBe('What is the weather like on the moon?');

    const session = fake.realtimeSessions[0]!;
    expect(session.query).toMatchObject({ intent: 'transcription', model: 'gpt-4o-transcribe' });
    expect(session.headers.authorization).toBe('Bearer test');
    expect(session.sessionUpdates[0]).toMatchObject({
      type: 'transcription',
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          transcription: { model: 'gpt-4o-transcribe', language: 'en' },
          turn_detection: { type: 'server_vad' },
        },
      },
    });
    // 24 kHz PCM16: the speech and its silences arrived as audio.
    expect(session.audioBytes).toBeGreaterThan((speech.pcm.length / speech.sampleRate) * 24000 * 2);
    expect(session.commits).toBe(0);
  }, 30_000);

  it('client VAD (turn detection off): the plugin commits at the end of speech and gets the transcript', async () => {
    // agents 1.8.1: VADStream.endInput() throws "WritableStream is locked" when the plugin closes
    // its VAD stream (see docs/testing-fakes.md); that rejection is the plugin's, not the fake's.
    const known = (err: unknown) => {
      if (!(err instanceof TypeError && /WritableStream is locked/.test(err.message))) throw err;
    };
    process.on('unhandledRejection', known);
    onTestFinished(() => void setTimeout(() => process.off('unhandledRejection', known), 1000));
    fake = await startFakeOpenAI({ transcriptions: ['Tell me a story.'] });
    const speech = await synthesizeSpeechWav('Tell me a story', { voice: 'flite' });
    const sttModel = new openaiPlugin.STT({
      baseURL: fake.baseURL,
      apiKey: 'test',
      model: 'gpt-4o-transcribe',
      useRealtime: true,
      turnDetection: null,
      vad: await silero.VAD.load(),
    });
    const events = await transcribe(sttModel, speech.pcm, speech.sampleRate, 1);
    const final = events.find((e) => e.type === stt.SpeechEventType.FINAL_TRANSCRIPT);
    expect(final?.alternatives?.[0]?.text).toBe('Tell me a story.');
    const session = fake.realtimeSessions[0]!;
    expect(session.sessionUpdates[0].audio.input.turn_detection).toBeNull();
    expect(session.commits).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('fault knobs: a dropped socket is closed and reconnects are refused; silence is never transcribed', async () => {
    fake = await startFakeOpenAI({ transcriptions: ['never said'] });
    const silence = new Int16Array(24000);
    const sttModel = new openaiPlugin.STT({ baseURL: fake.baseURL, apiKey: 'test', model: 'gpt-4o-transcribe' });
    const events = await transcribe(sttModel, silence, 24000, 1, 1500);
    expect(events.filter((e) => e.type === stt.SpeechEventType.FINAL_TRANSCRIPT)).toEqual([]);
    expect(fake.transcriptsSent).toEqual([]);

    fake.faults.realtime = 'drop';
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${fake!.baseURL.replace('http', 'ws')}/realtime?intent=transcription`, {
        headers: { authorization: 'Bearer test' },
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => (ws.close(), resolve(101)));
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(503);
  }, 30_000);
});
