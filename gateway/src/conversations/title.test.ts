import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { startFakeOpenAI, type FakeOpenAI } from '@parley/testkit/fakes/openai';
import { cleanTitle, generateTitle } from './title';
import { HISTORY_TEST_ENV, registerUser, seedConversation } from '@parley/testkit/history';

const TURNS = [
  { role: 'agent' as const, text: 'Hello, what shall we talk about?' },
  {
    role: 'user' as const,
    text: '   I want to learn how to bake sourdough bread at home without a fancy oven or any special gear   ',
  },
  { role: 'agent' as const, text: 'Great idea.' },
];

describe('generateTitle', () => {
  let fake: FakeOpenAI;
  let gw: TestGateway;
  let offline: TestGateway;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ titles: () => '"Baking Sourdough At Home."' });
    gw = await startTestGateway({
      redis: false,
      env: {
        ...HISTORY_TEST_ENV,
        LLM_PROVIDER: 'openai-compatible',
        LLM_BASE_URL: fake.baseURL,
        LLM_API_KEY: 'k',
        LLM_MODEL: 'title-model',
      },
    });
    offline = await startTestGateway({
      redis: false,
      database: gw.database,
      env: { ...HISTORY_TEST_ENV, LLM_PROVIDER: 'offline' },
    });
  });
  afterAll(async () => {
    await offline?.close();
    await gw?.stop();
    await fake?.close();
  });

  it('asks the configured LLM (non-streaming, its model) and stores a cleaned title', async () => {
    const u = await registerUser(gw, 'titled');
    const id = await seedConversation(gw.database.db, u.id, { turns: TURNS });
    expect(await generateTitle(gw.ctx, id)).toEqual({ title: 'Baking Sourdough At Home', source: 'llm' });
    const req = fake.chatRequests.at(-1)!;
    expect(req).toMatchObject({ model: 'title-model', stream: false });
    expect(JSON.stringify(req.messages)).toContain('sourdough');
    expect((await u.client.get(`/api/conversations/${id}`)).body.conversation.title).toBe('Baking Sourdough At Home');
    expect(gw.logs.text).not.toContain('sourdough');
  });

  it('keeps an existing title', async () => {
    const u = await registerUser(gw, 'kept');
    const id = await seedConversation(gw.database.db, u.id, { turns: TURNS, title: 'Mine' });
    await generateTitle(gw.ctx, id);
    expect((await gw.database.db('conversations').where({ id }).first('title')).title).toBe('Mine');
  });

  it('falls back to the first user utterance when the provider is offline', async () => {
    const u = await registerUser(offline, 'offline');
    const id = await seedConversation(gw.database.db, u.id, { turns: TURNS });
    const before = fake.chatRequests.length;
    const r = await generateTitle(offline.ctx, id);
    expect(r.source).toBe('fallback');
    expect(r.title).toMatch(/^I want to learn how to bake sourdough bread at home/);
    expect(r.title!.length).toBeLessThanOrEqual(60);
    expect(fake.chatRequests.length).toBe(before);
  });

  it('falls back quickly when the provider fails', async () => {
    const down = await startTestGateway({
      redis: false,
      database: gw.database,
      env: { ...HISTORY_TEST_ENV, LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: 'http://127.0.0.1:1/v1' },
    });
    try {
      const u = await registerUser(down, 'down');
      const id = await seedConversation(gw.database.db, u.id, { turns: TURNS });
      const t = Date.now();
      expect((await generateTitle(down.ctx, id)).source).toBe('fallback');
      expect(Date.now() - t).toBeLessThan(4500);
    } finally {
      await down.close();
    }
  });

  it('has nothing to title without a user utterance', async () => {
    const u = await registerUser(gw, 'silent');
    const id = await seedConversation(gw.database.db, u.id, { turns: [{ role: 'agent', text: 'Hello?' }] });
    expect(await generateTitle(gw.ctx, id)).toEqual({ title: null, source: 'none' });
  });

  it('cleans model output into one short line', () => {
    expect(cleanTitle('Title: "Weekend **plans**".\nmore')).toBe('Weekend plans');
    expect(cleanTitle('   ')).toBeNull();
    expect(cleanTitle('x'.repeat(200))!.length).toBeLessThanOrEqual(80);
  });
});
