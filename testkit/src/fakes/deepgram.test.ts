import { initializeLogger, stt } from '@livekit/agents';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import type { AudioFrame } from '@livekit/rtc-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeSpeechWav } from '../speech';
import { startFakeDeepgram, type FakeDeepgram } from './deepgram';
import { pcmToFrames } from './frames';
import { rmsLevel } from './voice-signal';

/** Where speech (by the fake's own energy rule) starts and ends inside a clip, in ms. */
function voicedSpan(pcm: Int16Array, sampleRate: number): { startMs: number; endMs: number } {
  const win = sampleRate / 50;
  let first = -1;
  let last = -1;
  for (let i = 0; i + win <= pcm.length; i += win) {
    if (rmsLevel(pcm.subarray(i, i + win)) > 0.015) {
      if (first < 0) first = i;
      last = i + win;
    }
  }
  return { startMs: (first / sampleRate) * 1000, endMs: (last / sampleRate) * 1000 };
}

beforeAll(() => initializeLogger({ pretty: false, level: 'warn' }));

let fake: FakeDeepgram | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface Timed {
  at: number;
  event: stt.SpeechEvent;
}

/** Collects the stream's events until `until` says stop (or the stream ends). */
async function collect(stream: stt.SpeechStream, until: (events: Timed[]) => boolean): Promise<Timed[]> {
  const events: Timed[] = [];
  for await (const event of stream) {
    events.push({ at: performance.now(), event });
    if (until(events)) break;
  }
  return events;
}

const finals = (events: Timed[]) =>
  events.filter((e) => e.event.type === stt.SpeechEventType.FINAL_TRANSCRIPT).map((e) => e.event.alternatives![0].text);

async function pace(stream: stt.SpeechStream, frames: AudioFrame[], frameMs: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < frames.length; i++) {
    stream.pushFrame(frames[i]!);
    const due = start + (i + 1) * frameMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return performance.now();
}

describe('fake Deepgram with the real deepgram.STT plugin', () => {
  it('streams interims then the scripted final for espeak-ng speech in real time, recording language and model', async () => {
    fake = await startFakeDeepgram({ transcripts: ['Hola, quiero saber el tiempo de mañana'] });
    const speech = await synthesizeSpeechWav('Hola, quiero saber el tiempo de mañana', { lang: 'es' });
    const frames = pcmToFrames(speech.pcm, speech.sampleRate, { frameMs: 20, leadSilenceMs: 400, tailSilenceMs: 500 });
    const plugin = new deepgram.STT({ baseUrl: fake.url, apiKey: 'test', language: 'es' });
    const stream = plugin.stream();

    const span = voicedSpan(speech.pcm, speech.sampleRate);
    const t0 = performance.now();
    const feeding = pace(stream, frames, 20);
    const speechStartAt = t0 + 400 + span.startMs;
    const events = await collect(stream, (ev) => ev.some((e) => e.event.type === stt.SpeechEventType.END_OF_SPEECH));
    const speechEndAt = t0 + 400 + span.endMs;
    await feeding;
    stream.close();

    const types = events.map((e) => e.event.type);
    expect(types[0]).toBe(stt.SpeechEventType.START_OF_SPEECH);
    const interims = events.filter((e) => e.event.type === stt.SpeechEventType.INTERIM_TRANSCRIPT);
    expect(interims.length).toBeGreaterThanOrEqual(2);
    // Word by word: each interim is a prefix of the script and longer than the one before.
    expect(interims[0]!.event.alternatives![0].text).toBe('Hola,');
    for (const i of interims) expect('Hola, quiero saber el tiempo de mañana').toContain(i.event.alternatives![0].text);
    expect(finals(events)).toEqual(['Hola, quiero saber el tiempo de mañana']);
    const final = events.find((e) => e.event.type === stt.SpeechEventType.FINAL_TRANSCRIPT)!.event.alternatives![0];
    expect(final.language).toBe('es');
    expect(final.words?.length).toBe(7);
    expect(types.indexOf(stt.SpeechEventType.END_OF_SPEECH)).toBeGreaterThan(
      types.indexOf(stt.SpeechEventType.FINAL_TRANSCRIPT),
    );

    const session = fake.sessions[0]!;
    expect(session.query.language).toBe('es');
    expect(session.query.model).toBe('nova-3');
    expect(session.query.sample_rate).toBe('16000');
    expect(session.query.encoding).toBe('linear16');
    expect(session.headers.authorization).toBe('Token test');
    // The leading silence is forwarded by the plugin but never treated as speech.
    expect(session.audioBytes).toBeGreaterThan(speech.pcm.length * 2 * 0.9);
    expect(fake.transcriptsSent).toEqual(['Hola, quiero saber el tiempo de mañana']);

    const firstInterim = interims[0]!.at - speechStartAt;
    const finalAfterSpeech =
      events.find((e) => e.event.type === stt.SpeechEventType.FINAL_TRANSCRIPT)!.at - speechEndAt;
    console.log(
      `[fake-deepgram] first interim ${firstInterim.toFixed(0)} ms after speech onset; final ${finalAfterSpeech.toFixed(0)} ms after speech end`,
    );
    expect(firstInterim).toBeLessThan(1_000); // loose: shared 2-core machine
    expect(finalAfterSpeech).toBeGreaterThanOrEqual(250);
    expect(finalAfterSpeech).toBeLessThan(1_200);
  });

  it('ends an utterance whose audio stopped mid-speech after noAudioEndMs of wall time, and says so', async () => {
    fake = await startFakeDeepgram({ transcripts: ['cut short'], noAudioEndMs: 400 });
    const speech = await synthesizeSpeechWav('testing one two three', { lang: 'en-us' });
    const frames = pcmToFrames(speech.pcm.subarray(0, Math.floor(speech.pcm.length / 2)), speech.sampleRate, {
      frameMs: 100,
      tailSilenceMs: 0,
    });
    const stream = new deepgram.STT({ baseUrl: fake.url, apiKey: 'test' }).stream();
    for (const f of frames) stream.pushFrame(f); // then nothing more: the client stalled
    const sentAt = Date.now();
    const events = await collect(stream, (ev) => finals(ev).length === 1);
    const waited = Date.now() - sentAt;
    stream.close();
    expect(finals(events)).toEqual(['cut short']);
    expect(fake.sessions[0]!.finals.map((f) => f.endedBy)).toEqual(['no_audio']);
    expect(waited).toBeGreaterThanOrEqual(350);
  });

  it('takes one scripted transcript per utterance, then the default, and honours finalDelayMs', async () => {
    fake = await startFakeDeepgram({ transcripts: ['first utterance'], finalDelayMs: 150 });
    fake.enqueue('second utterance');
    const speech = await synthesizeSpeechWav('testing one two three', { lang: 'en-us' });
    const one = pcmToFrames(speech.pcm, speech.sampleRate, { frameMs: 100, tailSilenceMs: 500 });
    const stream = new deepgram.STT({ baseUrl: fake.url, apiKey: 'test' }).stream();
    // Faster than real time: the fake keeps time by the audio it receives, not the clock.
    for (let n = 0; n < 3; n++) for (const f of one) stream.pushFrame(f);
    const events = await collect(
      stream,
      (ev) => ev.filter((e) => e.event.type === stt.SpeechEventType.END_OF_SPEECH).length === 3,
    );
    stream.close();

    expect(finals(events)).toEqual(['first utterance', 'second utterance', 'I heard something']);
    expect(events.filter((e) => e.event.type === stt.SpeechEventType.END_OF_SPEECH)).toHaveLength(3);
    // What ended each: the 500 ms of silence after each file (audio time), recorded per final.
    expect(fake.sessions[0]!.finals.map((f) => [f.text, f.endedBy])).toEqual([
      ['first utterance', 'silence'],
      ['second utterance', 'silence'],
      ['I heard something', 'silence'],
    ]);
    expect(Math.min(...fake.sessions[0]!.finals.map((f) => f.voicedMs))).toBeGreaterThan(500);
    expect(fake.sessions[0]!.query.language).toBe('en-US');
    // Word times are audio positions in the stream: the third utterance starts after two files.
    const third = events.filter((e) => e.event.type === stt.SpeechEventType.FINAL_TRANSCRIPT)[2]!.event
      .alternatives![0];
    expect(third.startTime).toBeGreaterThan((2 * one.length * 100) / 1000 - 0.5);
  });

  it('finalizes at once on flush (Finalize), cutting short a pending finalDelayMs', async () => {
    fake = await startFakeDeepgram({ transcripts: ['flushed turn'], finalDelayMs: 5_000 });
    const speech = await synthesizeSpeechWav('testing one two three', { lang: 'en-us' });
    const stream = new deepgram.STT({ baseUrl: fake.url, apiKey: 'test' }).stream();
    for (const f of pcmToFrames(speech.pcm, speech.sampleRate, { frameMs: 100 })) stream.pushFrame(f);
    stream.flush();
    const t0 = performance.now();
    const events = await collect(stream, (ev) => finals(ev).length === 1);
    stream.close();
    expect(finals(events)).toEqual(['flushed turn']);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(fake.sessions[0]!.controlMessages).toContain('Finalize');
  });

  it('lets the plugin stream end on endInput: CloseStream is answered with Metadata and a close', async () => {
    fake = await startFakeDeepgram();
    const stream = new deepgram.STT({ baseUrl: fake.url, apiKey: 'test' }).stream();
    for (const f of pcmToFrames(new Int16Array(16000), 16000, { frameMs: 100 })) stream.pushFrame(f);
    // The plugin only connects while input is open: an endInput() before the socket is up sends nothing.
    const until = Date.now() + 2_000;
    while (!fake.sessions[0]?.audioBytes && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    stream.endInput();
    const t0 = performance.now();
    // Without a message after CloseStream the plugin's reader never finishes and this hangs.
    const events = await collect(stream, () => false);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(finals(events)).toEqual([]); // silence is never transcribed
    expect(fake.sessions[0]!.controlMessages).toEqual(['CloseStream']);
    expect(fake.transcriptsSent).toEqual([]);
  });

  it('rejects a handshake without a Deepgram token', async () => {
    fake = await startFakeDeepgram();
    const { WebSocket } = await import('ws');
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${fake!.url}/v1/listen?language=en`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(status).toBe(401);
    expect(fake.sessions).toHaveLength(0);
  });
});
