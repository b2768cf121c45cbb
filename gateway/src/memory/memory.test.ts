import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { ingest, signedPost } from '@parley/testkit/calls';
import { startFakeOpenAI, type FakeOpenAI } from '@parley/testkit/fakes/openai';
import { HISTORY_TEST_ENV, registerUser, seedConversation, type TestUser } from '@parley/testkit/history';

/**
 * Memory through the gateway as the agent and the user reach it: a call ends → its summary is
 * stored (one LLM request for title and summary); the next call's job gets the summaries and can
 * search the owner's own utterances; nothing for guests, nothing when memory is off, never another
 * user's rows; the user sees and deletes what is remembered.
 */
describe('memory', () => {
  let gw: TestGateway;
  let llm: FakeOpenAI;
  let alice: TestUser;
  let bob: TestUser;

  const setMemory = async (u: TestUser, memory: boolean) => {
    const { preferences } = (await u.client.get('/api/me/preferences')).body;
    const r = await u.client.put('/api/me/preferences', { ...preferences, memory });
    expect(r.status).toBe(200);
  };
  /** A live call of `u`'s with these turns, then ended through the agent's ingest route. */
  const finishedCall = async (u: TestUser, turns: Array<{ role: 'user' | 'agent'; text: string }>) => {
    const id = await seedConversation(gw.database.db, u.id, { status: 'active', endedAt: null, turns });
    const ended = await ingest(gw.url, id, [
      { type: 'call_ended', at: new Date().toISOString(), reason: 'caller_left' },
    ]);
    expect(ended.status).toBe(200);
    return id;
  };
  const liveCall = (u: TestUser) =>
    seedConversation(gw.database.db, u.id, { status: 'active', endedAt: null, turns: [] });
  const memoryOf = async (u: TestUser) => (await u.client.get('/api/me/memory')).body;
  const waitForSummary = async (u: TestUser, conversationId: string) => {
    for (let i = 0; i < 100; i++) {
      const found = (await memoryOf(u)).summaries.find(
        (s: { conversationId: string }) => s.conversationId === conversationId,
      );
      if (found) return found as { summary: string; title: string | null };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no summary stored');
  };

  beforeAll(async () => {
    llm = await startFakeOpenAI({
      // The model's notes: it is given the transcript and answers in the asked-for two lines.
      titles: (transcript) => {
        const dog = /dog is called (\w+)/i.exec(transcript)?.[1];
        return dog ? `Title: Talking about ${dog}\nSummary: The user has a dog called ${dog}.` : 'Title: Small talk';
      },
    });
    gw = await startTestGateway({
      env: {
        ...HISTORY_TEST_ENV,
        LLM_PROVIDER: 'openai',
        OPENAI_API_KEY: 'sk-test-not-real',
        OPENAI_BASE_URL: llm.baseURL,
      },
    });
    [alice, bob] = await Promise.all([registerUser(gw, 'alice'), registerUser(gw, 'bob')]);
  });
  afterAll(async () => {
    await gw?.stop();
    await llm?.close();
  });

  it('is off by default: no summary, and the agent gets nothing', async () => {
    expect((await alice.client.get('/api/me/preferences')).body.preferences.memory).toBe(false);
    const id = await finishedCall(alice, [{ role: 'user', text: 'My dog is called Rex' }]);
    const next = await liveCall(alice);
    // The title still comes (its own request); no summary request was made.
    for (let i = 0; i < 50 && !(await gw.database.db('conversations').where({ id }).first()).title; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(llm.chatRequests.some((r) => JSON.stringify(r.messages).includes('Summary:'))).toBe(false);
    expect(await memoryOf(alice)).toEqual({ enabled: false, summaries: [] });
    expect((await signedPost(gw.url, `/internal/conversations/${next}/memory`, {})).body).toEqual({
      enabled: false,
      summaries: [],
    });
    const recall = await signedPost(gw.url, `/internal/conversations/${next}/recall`, { query: 'dog' });
    expect(recall.body).toEqual({ enabled: false, results: [] });
  });

  it('on: a finished call is summarised in one request; the next call gets the summary and recalls only its owner’s words', async () => {
    await Promise.all([setMemory(alice, true), setMemory(bob, true)]);
    const before = llm.chatRequests.length;
    const first = await finishedCall(alice, [
      { role: 'user', text: 'My dog is called Biscuit and he loves the beach' },
      { role: 'agent', text: 'Biscuit sounds lovely.' },
    ]);
    const summary = await waitForSummary(alice, first);
    expect(summary).toMatchObject({ title: 'Talking about Biscuit', summary: 'The user has a dog called Biscuit.' });
    const asked = llm.chatRequests.slice(before);
    expect(asked).toHaveLength(1); // title and summary in one request
    expect(JSON.stringify(asked[0]!.messages)).toContain('My dog is called Biscuit');
    // Bob's history holds the same words.
    await finishedCall(bob, [{ role: 'user', text: 'Biscuit is the name of my dog too, a beach lover' }]);

    const next = await liveCall(alice);
    const context = await signedPost(gw.url, `/internal/conversations/${next}/memory`, {});
    expect(context.status).toBe(200);
    expect(context.body.enabled).toBe(true);
    expect(context.body.summaries.map((s: { conversationId: string }) => s.conversationId)).toEqual([first]);

    const recall = await signedPost(gw.url, `/internal/conversations/${next}/recall`, {
      query: 'what is my dog called',
    });
    expect(recall.status).toBe(200);
    expect(recall.body.enabled).toBe(true);
    const texts = recall.body.results.map((r: { text: string }) => r.text);
    expect(texts[0]).toBe('My dog is called Biscuit and he loves the beach');
    expect(texts.join(' ')).not.toContain('name of my dog too'); // never Bob's words
    // The call in progress is not recalled from.
    expect(recall.body.results.every((r: { conversationId: string }) => r.conversationId !== next)).toBe(true);
  });

  it('turning memory off stops recall at once, mid-call', async () => {
    const next = await liveCall(alice);
    expect(
      (await signedPost(gw.url, `/internal/conversations/${next}/recall`, { query: 'dog' })).body.results.length,
    ).toBeGreaterThan(0);
    await setMemory(alice, false);
    expect((await signedPost(gw.url, `/internal/conversations/${next}/recall`, { query: 'dog' })).body).toEqual({
      enabled: false,
      results: [],
    });
    await setMemory(alice, true);
  });

  it('the user deletes one summary, then all; conversations stay', async () => {
    const second = await finishedCall(alice, [{ role: 'user', text: 'I am planting tomatoes in my garden' }]);
    await waitForSummary(alice, second);
    const all = (await memoryOf(alice)).summaries as Array<{ conversationId: string }>;
    expect(all.length).toBe(2);
    expect((await bob.client.delete(`/api/me/memory/${second}`)).status).toBe(404); // not Bob's
    expect((await alice.client.delete(`/api/me/memory/${second}`)).status).toBe(204);
    expect((await memoryOf(alice)).summaries.map((s: { conversationId: string }) => s.conversationId)).not.toContain(
      second,
    );
    expect((await alice.client.delete('/api/me/memory')).status).toBe(204);
    expect((await memoryOf(alice)).summaries).toEqual([]);
    expect((await alice.client.get(`/api/conversations/${second}`)).status).toBe(200);
    expect((await bob.client.get('/api/me/memory')).body.summaries.length).toBe(1);
  });

  it('refuses unsigned agent requests, bad queries and unknown calls; answers signed-out users 401', async () => {
    const next = await liveCall(alice);
    const unsigned = await new TestClient(gw.url, null).post(`/internal/conversations/${next}/recall`, {
      query: 'dog',
    });
    expect(unsigned.status).toBe(401);
    const empty = await signedPost(gw.url, `/internal/conversations/${next}/recall`, { query: '' });
    expect([empty.status, empty.body.error.code]).toEqual([400, 'validation_failed']);
    const long = await signedPost(gw.url, `/internal/conversations/${next}/recall`, { query: 'x'.repeat(201) });
    expect(long.status).toBe(400);
    const unknown = await signedPost(gw.url, '/internal/conversations/00000000-0000-4000-8000-000000000000/memory', {});
    expect(unknown.status).toBe(404);
    expect((await new TestClient(gw.url).get('/api/me/memory')).status).toBe(401);
    // Transcript text never reaches the logs.
    expect(gw.logs.text).not.toContain('Biscuit');
  });
});
