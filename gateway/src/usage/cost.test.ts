import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent, UsageLine } from '@parley/protocol';
import { ConfigError } from '@parley/protocol';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { createUser, signedInClient } from '@parley/testkit/accounts';
import { ingest } from '@parley/testkit/calls';
import { costOf, DEFAULT_PRICES, loadPriceTable } from './prices';

const line = (l: Partial<UsageLine> & Pick<UsageLine, 'stage' | 'provider' | 'model'>): UsageLine => ({
  sttAudioSeconds: 0,
  llmPromptTokens: 0,
  llmCachedPromptTokens: 0,
  llmCompletionTokens: 0,
  ttsCharacters: 0,
  ...l,
});
const usage = (reportId: string, lines: UsageLine[]): IngestEvent => ({ type: 'usage', reportId, lines });
const month = new Date().toISOString().slice(0, 7);

async function userCall(gw: TestGateway) {
  const c = await signedInClient(gw, await createUser(gw));
  const { conversationId } = (await c.post('/api/calls', {})).body;
  return { c, id: conversationId as string };
}

describe('usage and cost per call and per month', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.stop());

  it("prices each job's latest totals with the default table and sums them per call and per month", async () => {
    const { c, id } = await userCall(gw);
    const start = new Date();
    const stt = line({ stage: 'stt', provider: 'deepgram', model: 'nova-3', sttAudioSeconds: 30 });
    const llm = line({
      stage: 'llm',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      llmPromptTokens: 1000,
      llmCachedPromptTokens: 200,
      llmCompletionTokens: 300,
    });
    const tts = line({ stage: 'tts', provider: 'cartesia', model: 'sonic-2', ttsCharacters: 500 });
    const first = await ingest(gw.url, id, [
      { type: 'call_started', at: start.toISOString() },
      usage('job-1', [
        { ...stt, sttAudioSeconds: 10 },
        { ...llm, llmCompletionTokens: 100 },
      ]),
    ]);
    expect(first.status).toBe(200);
    // The same job's later totals replace its first report (also when the batch is retried)…
    for (let i = 0; i < 2; i++) expect((await ingest(gw.url, id, [usage('job-1', [stt, llm, tts])])).status).toBe(200);
    // …and a replacement agent's report adds to the call; a model with no price is kept unpriced.
    const unknown = line({
      stage: 'llm',
      provider: 'xai',
      model: 'grok-9',
      llmPromptTokens: 7,
      llmCompletionTokens: 3,
    });
    expect((await ingest(gw.url, id, [usage('job-2', [tts, unknown])])).status).toBe(200);
    await ingest(gw.url, id, [
      { type: 'call_ended', at: new Date(start.getTime() + 90_000).toISOString(), reason: 'caller_left' },
    ]);

    // By hand from the documented list prices: Deepgram nova-3 $0.0077/min, gpt-4.1-mini $0.40 /
    // $0.10 cached / $1.60 per million tokens, Cartesia $50 per million characters.
    const expected = (30 / 60) * 0.0077 + (800 * 0.4 + 200 * 0.1 + 300 * 1.6) / 1e6 + (2 * 500 * 50) / 1e6;
    expect(costOf(DEFAULT_PRICES, stt)! + costOf(DEFAULT_PRICES, llm)! + 2 * costOf(DEFAULT_PRICES, tts)!).toBeCloseTo(
      expected,
      9,
    );
    const res = await c.get('/api/me/usage/cost');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(res.body.month).toBe(month);
    expect(res.body.currency).toBe('USD');
    expect(res.body.total).toEqual({
      calls: 1,
      minutes: 1.5,
      sttAudioSeconds: 30,
      llmPromptTokens: 1007,
      llmCompletionTokens: 303,
      ttsCharacters: 1000,
      costUsd: Math.round(expected * 1e6) / 1e6,
      unpriced: true,
    });
    expect(res.body.conversations).toHaveLength(1);
    expect(res.body.conversations[0]).toMatchObject({
      conversationId: id,
      minutes: 1.5,
      costUsd: Math.round(expected * 1e6) / 1e6,
      ttsCharacters: 1000,
    });
    const stored = await gw.database.db('call_usage').where({ conversation_id: id }).orderBy(['report_id', 'stage']);
    expect(stored.map((r) => `${r.report_id} ${r.stage} ${r.provider}/${r.model} ${r.cost_usd}`)).toEqual([
      `job-1 llm openai/gpt-4.1-mini ${costOf(DEFAULT_PRICES, llm)}`,
      `job-1 stt deepgram/nova-3 ${costOf(DEFAULT_PRICES, stt)}`,
      `job-1 tts cartesia/sonic-2 ${costOf(DEFAULT_PRICES, tts)}`,
      'job-2 llm xai/grok-9 null',
      `job-2 tts cartesia/sonic-2 ${costOf(DEFAULT_PRICES, tts)}`,
    ]);
    expect(gw.logs.text).toContain('"price":"llm/xai/grok-9"');

    // Another account sees none of it; another month is empty.
    const other = await signedInClient(gw, await createUser(gw));
    expect((await other.get('/api/me/usage/cost')).body.total).toMatchObject({ calls: 0, costUsd: 0, unpriced: false });
    const past = await c.get('/api/me/usage/cost?month=2020-01');
    expect(past.body).toMatchObject({ month: '2020-01', conversations: [], total: { calls: 0, costUsd: 0 } });
  });

  it('refuses a malformed month with 400 and anonymous callers with 401', async () => {
    const { c } = await userCall(gw);
    for (const q of ['2026-13', '26-01', '2026-1', 'x', '2026-01&year=1']) {
      const res = await c.get(`/api/me/usage/cost?month=${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    const anon = await new TestClient(gw.url, null).get('/api/me/usage/cost');
    expect(anon.status).toBe(401);
  });

  it("stores nothing for a guest's call", async () => {
    const guest = new TestClient(gw.url);
    const { conversationId } = (await guest.post('/api/calls', {})).body;
    const res = await ingest(gw.url, conversationId, [
      usage('job-g', [line({ stage: 'tts', provider: 'cartesia', model: 'sonic-2', ttsCharacters: 5 })]),
    ]);
    expect(res.status).toBe(200);
    expect(await gw.database.db('call_usage').where({ conversation_id: conversationId })).toEqual([]);
  });
});

describe('the price table', () => {
  const file = (content: string) => {
    const f = path.join(mkdtempSync(path.join(tmpdir(), 'parley-prices-')), 'prices.json');
    writeFileSync(f, content);
    return f;
  };

  it('takes PRICES_FILE entries over the defaults and refuses a broken file naming the problem', () => {
    const t = loadPriceTable(
      file(
        JSON.stringify({
          'tts/cartesia/*': { usdPerMillionCharacters: 10 },
          'llm/openai/*': { usdPerMillionPromptTokens: 1, usdPerMillionCompletionTokens: 2 },
        }),
      ),
    );
    expect(t['tts/cartesia/*']).toEqual({ usdPerMillionCharacters: 10 });
    expect(t['stt/deepgram/nova-3']).toEqual(DEFAULT_PRICES['stt/deepgram/nova-3']);
    // A provider the file prices is priced by the file alone: its wildcard is not overruled by a default model.
    expect(t['llm/openai/gpt-4.1-mini']).toBeUndefined();
    expect(
      costOf(t, {
        stage: 'llm',
        provider: 'openai',
        model: 'gpt-4.1-mini',
        sttAudioSeconds: 0,
        llmPromptTokens: 1e6,
        llmCachedPromptTokens: 0,
        llmCompletionTokens: 1e6,
        ttsCharacters: 0,
      }),
    ).toBe(3);
    expect(t['llm/xai/grok-4-fast-reasoning']).toEqual(DEFAULT_PRICES['llm/xai/grok-4-fast-reasoning']);
    expect(() => loadPriceTable(file('{'))).toThrow(ConfigError);
    expect(() => loadPriceTable(file(JSON.stringify({ 'tts/cartesia': {} })))).toThrow(/keys are/);
    expect(() => loadPriceTable(file(JSON.stringify({ 'tts/cartesia/*': { usdPerMillionCharacters: -1 } })))).toThrow(
      /PRICES_FILE/,
    );
    expect(() => loadPriceTable(file(JSON.stringify({ 'tts/cartesia/*': { perChar: 1 } })))).toThrow(/perChar/);
  });

  it("prices a call with the operator's table when the gateway is started with PRICES_FILE", async () => {
    const gw = await startTestGateway({
      redis: false,
      env: { PRICES_FILE: file(JSON.stringify({ 'tts/cartesia/*': { usdPerMillionCharacters: 1000 } })) },
    });
    try {
      const { c, id } = await userCall(gw);
      await ingest(gw.url, id, [
        { type: 'call_started', at: new Date().toISOString() },
        usage('job', [line({ stage: 'tts', provider: 'cartesia', model: 'sonic-2', ttsCharacters: 2500 })]),
      ]);
      expect((await c.get('/api/me/usage/cost')).body.total.costUsd).toBe(2.5);
    } finally {
      await gw.stop();
    }
  });
});
