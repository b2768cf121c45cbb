import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, startTestGateway, type FakeOpenAI, type TestGateway } from '@parley/testkit';
import { createUser, signedInClient } from '@parley/testkit/accounts';
import { ingest, utterance } from '@parley/testkit/calls';

async function titleOf(gw: TestGateway, id: string): Promise<string | null> {
  for (let i = 0; i < 50; i++) {
    const row = await gw.database.db('conversations').where({ id }).first('title');
    if (row?.title) return row.title;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

describe('after a call ends', () => {
  let llm: FakeOpenAI;
  let gw: TestGateway;
  beforeAll(async () => {
    llm = await startFakeOpenAI({ titles: () => 'Tides and the moon' });
    gw = await startTestGateway({
      env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: llm.baseURL, LLM_MODEL: 'fake-model' },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await llm?.close();
  });

  it("titles an account holder's conversation with the configured LLM once the agent reports the end", async () => {
    const c = await signedInClient(gw, await createUser(gw));
    const { conversationId: id } = (await c.post('/api/calls', {})).body;
    await ingest(gw.url, id, [
      { type: 'utterance', utterance: utterance(0) },
      { type: 'utterance', utterance: utterance(1) },
    ]);
    expect(await gw.database.db('conversations').where({ id }).first('title')).toEqual({ title: null });
    await ingest(gw.url, id, [{ type: 'call_ended', at: new Date().toISOString(), reason: 'caller_left' }]);
    expect(await titleOf(gw, id)).toBe('Tides and the moon');
    const asked = llm.chatRequests.filter((r) => !r.stream);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.model).toBe('fake-model');
    // A retried end report does not ask again: the title stands.
    await ingest(gw.url, id, [{ type: 'call_ended', at: new Date().toISOString(), reason: 'caller_left' }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(llm.chatRequests.filter((r) => !r.stream)).toHaveLength(1);
  });
});
