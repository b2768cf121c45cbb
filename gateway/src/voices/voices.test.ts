import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESPEAK_VOICES, LANGUAGES, OPENAI_VOICES } from '@parley/protocol';
import { createTestDatabase, startTestGateway, TestClient, type TestDatabase, type TestGateway } from '@parley/testkit';
import { registerUser } from '@parley/testkit/accounts';

/** A local stand-in for a provider's REST API: scripted answers, every request recorded. */
async function fakeApi(handler: (req: IncomingMessage) => { status: number; body: unknown }) {
  const requests: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }> = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers });
    const { status, body } = handler(req);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const CARTESIA_VOICES = [
  {
    id: '6f84f4b8-58a2-430c-8c79-688dad597532',
    name: 'Ava',
    description: 'warm',
    language: 'en',
    is_public: true,
    created_at: '2024-01-01T00:00:00Z',
    embedding: [],
  },
  {
    id: 'a8a1eb38-5f15-4c1d-8722-7ac0f329727d',
    name: 'Bastien',
    description: '',
    language: 'fr',
    is_public: true,
    created_at: '2024-01-01T00:00:00Z',
    embedding: [],
  },
  // Not in Cartesia's id form (a UUID): not offered, since the agent could not speak with it.
  { id: 'not-a-cartesia-id', name: 'Odd', description: '', language: 'en', is_public: true, embedding: [] },
];

describe('voice catalogue, languages and providers', () => {
  let database: TestDatabase;
  const started: TestGateway[] = [];
  const start = async (env: Record<string, string>) => {
    const gw = await startTestGateway({ database, env });
    started.push(gw);
    return gw;
  };
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const gw of started) await gw.stop();
    await database?.drop();
  });

  it('local TTS: espeak-ng voices, one or more per supported language, filterable by language', async () => {
    const gw = await start({});
    const c = new TestClient(gw.url);
    const r = await c.get('/api/voices');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ provider: 'local', source: 'builtin' });
    expect(r.body.voices.map((v: { id: string }) => v.id)).toEqual(ESPEAK_VOICES.map((v) => v.id));
    for (const l of LANGUAGES)
      expect(
        r.body.voices.some((v: { language: string }) => v.language === l.code),
        l.code,
      ).toBe(true);
    const fr = await c.get('/api/voices?language=fr');
    expect(fr.body.voices).toEqual([{ id: 'fr', name: 'French (France)', language: 'fr' }]);
    expect((await c.get('/api/voices?language=klingon')).status).toBe(400);
    const langs = await c.get('/api/languages');
    expect(langs.body.languages).toEqual(LANGUAGES);
    const providers = await c.get('/api/providers');
    expect(providers.body).toMatchObject({
      stt: 'local',
      tts: 'local',
      catalogue: { tts: { source: 'builtin', voices: ESPEAK_VOICES.length }, stt: null },
    });
  });

  it('openai TTS: the fixed OpenAI voice list, and preferences accept only those', async () => {
    const gw = await start({ OPENAI_API_KEY: 'sk-test-not-real', OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' });
    const c = new TestClient(gw.url);
    const r = await c.get('/api/voices');
    expect(r.body.provider).toBe('openai');
    expect(r.body.voices.map((v: { id: string }) => v.id)).toEqual(OPENAI_VOICES.map((v) => v.id));
    await registerUser(c);
    const prefs = { ttsVoice: 'coral', language: 'de', favoriteTopics: [], systemPrompt: '' };
    expect((await c.put('/api/me/preferences', prefs)).status).toBe(200);
    expect((await c.put('/api/me/preferences', { ...prefs, ttsVoice: 'en-us' })).status).toBe(400);
  });

  it('cartesia TTS: lists voices through the SDK with the key, caches them, validates preferences against them', async () => {
    const api = await fakeApi((req) =>
      req.url?.startsWith('/voices') ? { status: 200, body: CARTESIA_VOICES } : { status: 404, body: {} },
    );
    try {
      const gw = await start({ CARTESIA_API_KEY: 'ck-test', CARTESIA_BASE_URL: api.url });
      const c = new TestClient(gw.url);
      const r = await c.get('/api/voices');
      expect(r.body).toEqual({
        provider: 'cartesia',
        source: 'provider',
        voices: [
          { id: '6f84f4b8-58a2-430c-8c79-688dad597532', name: 'Ava', language: 'en', description: 'warm' },
          { id: 'a8a1eb38-5f15-4c1d-8722-7ac0f329727d', name: 'Bastien', language: 'fr' },
        ],
      });
      expect(api.requests[0]).toMatchObject({ method: 'GET', url: '/voices/' });
      expect(api.requests[0]!.headers['x-api-key']).toBe('ck-test');
      await c.get('/api/voices');
      await registerUser(c);
      const prefs = {
        ttsVoice: 'a8a1eb38-5f15-4c1d-8722-7ac0f329727d',
        language: 'fr',
        favoriteTopics: [],
        systemPrompt: '',
      };
      expect((await c.put('/api/me/preferences', prefs)).status).toBe(200);
      expect(
        (await c.put('/api/me/preferences', { ...prefs, ttsVoice: '00000000-0000-4000-8000-000000000000' })).status,
      ).toBe(400);
      expect(api.requests).toHaveLength(1); // cached: one provider call for all of the above
      expect(gw.logs.text).not.toContain('ck-test');
    } finally {
      await api.close();
    }
  });

  it('cartesia TTS: falls back to the built-in list (with the configured voice) when the API fails', async () => {
    const api = await fakeApi(() => ({ status: 500, body: { error: 'boom' } }));
    try {
      const gw = await start({
        CARTESIA_API_KEY: 'ck-test',
        CARTESIA_BASE_URL: api.url,
        CARTESIA_VOICE: 'configured-voice',
      });
      const r = await new TestClient(gw.url).get('/api/voices');
      expect(r.status).toBe(200);
      expect(r.body.source).toBe('builtin');
      expect(r.body.voices[0]).toEqual({
        id: 'configured-voice',
        name: 'Configured voice (CARTESIA_VOICE)',
        language: null,
      });
      expect(gw.logs.text).toContain('voice listing failed');
    } finally {
      await api.close();
    }
  });

  it('deepgram STT: checks the key and lists streaming models; a refused key or dead host degrades, never 500', async () => {
    const api = await fakeApi((req) => {
      if (req.headers.authorization !== 'Token dg-good') return { status: 401, body: { err_code: 'INVALID_AUTH' } };
      if (req.url === '/v1/projects') return { status: 200, body: { projects: [{ project_id: 'p', name: 'n' }] } };
      if (req.url?.startsWith('/v1/models'))
        return {
          status: 200,
          body: {
            stt: [
              { name: 'nova-3', canonical_name: 'nova-3-general', languages: ['en', 'es'], streaming: true },
              { name: 'whisper', canonical_name: 'whisper-large', languages: ['en'], streaming: false },
            ],
            tts: [],
          },
        };
      return { status: 404, body: {} };
    });
    try {
      const good = await start({ DEEPGRAM_API_KEY: 'dg-good', DEEPGRAM_BASE_URL: api.url.replace('http:', 'ws:') });
      const r = await new TestClient(good.url).get('/api/providers');
      expect(r.status).toBe(200);
      expect(r.body.stt).toBe('deepgram');
      expect(r.body.catalogue.stt).toEqual({
        provider: 'deepgram',
        keyValid: true,
        models: [{ name: 'nova-3-general', languages: ['en', 'es'] }],
      });
      const bad = await start({ DEEPGRAM_API_KEY: 'dg-bad', DEEPGRAM_BASE_URL: api.url });
      const rb = await new TestClient(bad.url).get('/api/providers');
      expect(rb.status).toBe(200);
      expect(rb.body.catalogue.stt).toMatchObject({ keyValid: false, models: [] });
      const dead = await start({ DEEPGRAM_API_KEY: 'dg-good', DEEPGRAM_BASE_URL: 'http://127.0.0.1:1' });
      const rd = await new TestClient(dead.url).get('/api/providers');
      expect(rd.status).toBe(200);
      expect(rd.body.catalogue.stt).toMatchObject({ keyValid: null, detail: 'Deepgram could not be reached' });
    } finally {
      await api.close();
    }
  });
});
