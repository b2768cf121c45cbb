import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VOICE_PREVIEW_TEXT } from '@parley/protocol';
import { createTestDatabase, startTestGateway, type TestDatabase, type TestGateway } from '@parley/testkit';
import { startFakeCartesia, type FakeCartesia } from '@parley/testkit/fakes/cartesia';

const DEFAULT_CARTESIA_VOICE = '794f9389-aac1-45b6-b726-9d9369183238'; // CARTESIA_VOICE's default

/** A WAV file's audio length from its header (16-bit PCM): data bytes / byte rate. */
function wavSeconds(buf: Buffer): number {
  expect(buf.subarray(0, 4).toString()).toBe('RIFF');
  expect(buf.subarray(8, 12).toString()).toBe('WAVE');
  const byteRate = buf.readUInt32LE(28);
  // espeak-ng writes 0xFFFFFFFF as the data size when it streams to stdout: then the file's length says.
  const data = buf.readUInt32LE(40);
  return (data === 0xffffffff || data > buf.length ? buf.length - 44 : data) / byteRate;
}

const preview = (gw: TestGateway, query: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}/api/voices/preview?${new URLSearchParams(query)}`, { headers });

describe('GET /api/voices/preview', () => {
  let database: TestDatabase;
  let cartesia: FakeCartesia;
  const started: TestGateway[] = [];
  const start = async (env: Record<string, string>) => {
    const gw = await startTestGateway({ database, env });
    started.push(gw);
    return gw;
  };
  beforeAll(async () => {
    database = await createTestDatabase();
    cartesia = await startFakeCartesia({ msPerChar: 60 });
  });
  afterAll(async () => {
    for (const gw of started) await gw.stop();
    await cartesia?.close();
    await database?.drop();
  });

  it('Cartesia: the chosen voice says the sample in the chosen language, once per voice and language (cached)', async () => {
    const gw = await start({ CARTESIA_API_KEY: 'ck-test', CARTESIA_BASE_URL: cartesia.baseUrl });
    const first = await preview(gw, { voice: DEFAULT_CARTESIA_VOICE, language: 'es' });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('audio/wav');
    const wav = Buffer.from(await first.arrayBuffer());
    // The fake speaks 60 ms per character of what it was asked to say.
    expect(wavSeconds(wav)).toBeCloseTo((VOICE_PREVIEW_TEXT.es.length * 60) / 1000, 1);
    expect(cartesia.bytesRequests).toEqual([
      {
        voiceId: DEFAULT_CARTESIA_VOICE,
        language: 'es',
        modelId: 'sonic-2',
        transcript: VOICE_PREVIEW_TEXT.es,
        container: 'wav',
      },
    ]);
    // The same voice and language again: the same file, no second provider request.
    const again = await preview(gw, { voice: DEFAULT_CARTESIA_VOICE, language: 'es' });
    expect(Buffer.from(await again.arrayBuffer()).equals(wav)).toBe(true);
    expect(cartesia.bytesRequests).toHaveLength(1);
    // Another language is another sample; no voice is the configured default voice (cached as the same file).
    const fr = await preview(gw, { language: 'fr' });
    expect(fr.status).toBe(200);
    expect((await preview(gw, { voice: DEFAULT_CARTESIA_VOICE, language: 'fr' })).status).toBe(200);
    expect(cartesia.bytesRequests.map((r) => [r.language, r.transcript])).toEqual([
      ['es', VOICE_PREVIEW_TEXT.es],
      ['fr', VOICE_PREVIEW_TEXT.fr],
    ]);
  });

  it('a voice the provider does not offer, a language Parley does not speak, a missing field: 400 with stable codes', async () => {
    const gw = await start({ CARTESIA_API_KEY: 'ck-test', CARTESIA_BASE_URL: cartesia.baseUrl });
    const before = cartesia.bytesRequests.length;
    const cases: Array<[Record<string, string>, string]> = [
      [{ voice: 'alloy', language: 'en' }, 'unknown_voice'], // an OpenAI voice while Cartesia speaks
      [{ voice: '00000000-0000-4000-8000-000000000000', language: 'en' }, 'unknown_voice'],
      [{ voice: DEFAULT_CARTESIA_VOICE, language: 'xx' }, 'unsupported_language'],
      [{ voice: DEFAULT_CARTESIA_VOICE, language: 'en-US' }, 'unsupported_language'],
      [{ voice: DEFAULT_CARTESIA_VOICE }, 'validation_failed'],
      [{ voice: '', language: 'en' }, 'validation_failed'],
      [{ voice: DEFAULT_CARTESIA_VOICE, language: 'en', extra: '1' }, 'validation_failed'],
    ];
    for (const [query, code] of cases) {
      const res = await preview(gw, query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, JSON.stringify(query)).toBe(code);
    }
    expect(cartesia.bytesRequests.length).toBe(before); // none reached the provider
  });

  it('a provider that does not answer: 502 preview_failed (not a 500), and the next ask tries again', async () => {
    const gw = await start({ CARTESIA_API_KEY: 'ck-test', CARTESIA_BASE_URL: 'http://127.0.0.1:1' });
    for (let i = 0; i < 2; i++) {
      const res = await preview(gw, { voice: DEFAULT_CARTESIA_VOICE, language: 'en' });
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('preview_failed');
    }
  });

  it('20 previews a minute per client, then 429 rate_limited with Retry-After', async () => {
    const gw = await start({ CARTESIA_API_KEY: 'ck-test', CARTESIA_BASE_URL: cartesia.baseUrl });
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++)
      statuses.push((await preview(gw, { voice: DEFAULT_CARTESIA_VOICE, language: 'de' })).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    const limited = await preview(gw, { voice: DEFAULT_CARTESIA_VOICE, language: 'de' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
  });

  it('offline voice mode: espeak-ng speaks the sample with the chosen espeak voice', async () => {
    const gw = await start({});
    const res = await preview(gw, { voice: 'es-419', language: 'es' });
    expect(res.status).toBe(200);
    const seconds = wavSeconds(Buffer.from(await res.arrayBuffer()));
    expect(seconds).toBeGreaterThan(1.5);
    expect(seconds).toBeLessThan(8);
    const wrong = await preview(gw, { voice: DEFAULT_CARTESIA_VOICE, language: 'es' });
    expect(wrong.status).toBe(400);
  });
});
