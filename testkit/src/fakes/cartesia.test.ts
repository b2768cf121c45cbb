import { initializeLogger, tts } from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCartesia, type FakeCartesia } from './cartesia';
import { rmsLevel } from './voice-signal';

beforeAll(() => initializeLogger({ pretty: false, level: 'warn' }));

let fake: FakeCartesia | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface Spoken {
  firstFrameMs: number;
  seconds: number;
  rms: number;
  words: string[];
  frames: number;
}

/** Pushes text through a fresh SynthesizeStream and collects its audio until END_OF_STREAM. */
async function speak(model: cartesia.TTS, text: string): Promise<Spoken> {
  const stream = model.stream();
  const t0 = performance.now();
  stream.pushText(text);
  stream.flush();
  stream.endInput();
  let firstFrameMs = -1;
  let samples = 0;
  let sumSq = 0;
  let frames = 0;
  const words: string[] = [];
  for await (const audio of stream) {
    if (audio === tts.SynthesizeStream.END_OF_STREAM) break;
    if (firstFrameMs < 0) firstFrameMs = performance.now() - t0;
    expect(audio.frame.sampleRate).toBe(24000);
    frames++;
    samples += audio.frame.samplesPerChannel;
    sumSq += rmsLevel(audio.frame.data) ** 2 * audio.frame.samplesPerChannel;
    for (const t of audio.timedTranscripts ?? []) words.push(t.text.trim());
  }
  stream.close();
  return { firstFrameMs, seconds: samples / 24000, rms: Math.sqrt(sumSq / Math.max(1, samples)), words, frames };
}

describe('fake Cartesia with the real cartesia.TTS plugin', () => {
  it('streams voiced PCM sized to the text, with word timestamps, recording voice, language and model', async () => {
    fake = await startFakeCartesia({ ttfbMs: 80, msPerChar: 40 });
    const model = new cartesia.TTS({ baseUrl: fake.baseUrl, apiKey: 'test', voice: 'voice-es-1', language: 'es' });
    const text = 'Hola, me alegra mucho hablar contigo hoy. ¿Qué tal el día en Madrid?';
    const out = await speak(model, text);
    console.log(`[fake-cartesia] first audio frame ${out.firstFrameMs.toFixed(0)} ms after pushText (ttfbMs 80)`);
    await model.close();

    expect(out.firstFrameMs).toBeGreaterThanOrEqual(75);
    expect(out.firstFrameMs).toBeLessThan(600);
    expect(out.rms).toBeGreaterThan(0.05); // speech-like level, not silence
    const sentences = fake.requests.map((r) => r.transcript.trim());
    expect(sentences.join(' ')).toBe(text);
    const chars = sentences.reduce((n, s) => n + s.length, 0);
    expect(out.seconds).toBeCloseTo((chars * 40) / 1000, 1);
    expect(out.words.join(' ')).toBe(text);
    expect(fake.audioBytesSent).toBe(Math.round(out.seconds * 24000) * 2);
    expect(fake.requests[0]).toMatchObject({ voiceId: 'voice-es-1', language: 'es', modelId: 'sonic-3' });
    expect(fake.connections[0]).toMatchObject({ 'x-api-key': 'test', 'cartesia-version': '2025-04-16' });
  });

  it('serves several turns over the plugin’s pooled socket, one context each', async () => {
    fake = await startFakeCartesia();
    const model = new cartesia.TTS({ baseUrl: fake.baseUrl, apiKey: 'test', voice: 'v1' });
    const first = await speak(model, 'This is the first answer of the call.');
    const second = await speak(model, 'And this is the second one.');
    await model.close();
    console.log(
      `[fake-cartesia] ttfbMs 0: first frame ${first.firstFrameMs.toFixed(0)} ms (new socket), ${second.firstFrameMs.toFixed(0)} ms (pooled socket)`,
    );
    expect(first.frames).toBeGreaterThan(0);
    expect(second.frames).toBeGreaterThan(0);
    expect(fake.connections).toHaveLength(1);
    const contexts = new Set(fake.requests.map((r) => r.contextId));
    expect(contexts.size).toBe(2);
    expect(fake.requests.every((r) => r.language === 'en' && r.voiceId === 'v1')).toBe(true);
  });

  it('stops a context on cancel and keeps serving others on the same socket', async () => {
    fake = await startFakeCartesia({ msPerChar: 60, realtimeFactor: 2 });
    const ws = new WebSocket(`${fake.baseUrl.replace(/^http/, 'ws')}/tts/websocket`, {
      headers: { 'X-API-Key': 'test', 'Cartesia-Version': '2025-04-16' },
    });
    await once(ws, 'open');
    const seen: Array<{ type: string; context_id: string }> = [];
    ws.on('message', (raw) => seen.push(JSON.parse(raw.toString())));
    const base = {
      model_id: 'sonic-3',
      voice: { mode: 'id', id: 'v' },
      output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 24000 },
      language: 'en',
    };
    const long = 'A long answer that the caller will interrupt before it is finished speaking. '.repeat(3);
    ws.send(JSON.stringify({ ...base, context_id: 'a', transcript: long, continue: false }));
    await new Promise((r) => setTimeout(r, 150));
    ws.send(JSON.stringify({ context_id: 'a', cancel: true }));
    ws.send(JSON.stringify({ ...base, context_id: 'b', transcript: 'Short.', continue: false }));
    const deadline = Date.now() + 2_000;
    while (!seen.some((m) => m.type === 'done' && m.context_id === 'b') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    ws.close();
    expect(seen.some((m) => m.type === 'done' && m.context_id === 'b')).toBe(true);
    expect(seen.some((m) => m.type === 'done' && m.context_id === 'a')).toBe(false);
    const aChunks = seen.filter((m) => m.type === 'chunk' && m.context_id === 'a').length;
    expect(aChunks).toBeGreaterThan(0);
    expect(aChunks).toBeLessThan(Math.ceil((long.trim().length * 60) / 100));
    expect(fake.cancelledContexts).toEqual(['a']);
  });
});
