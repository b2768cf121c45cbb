import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeSpeechWav } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { registerUser, waitFor } from './helpers';

/**
 * Issue 22, usage and cost: a real call through the fakes; the agent reports its provider usage
 * (agents' metrics) and the gateway prices it with the operator's price table (PRICES_FILE). The
 * stored and shown figures are checked against the fakes' own records: the OpenAI fake's usage
 * chunks (tokens), the Cartesia fake's transcripts (characters), the Deepgram fake's audio bytes
 * (seconds), and the cost against the table by hand.
 */

const TURNS = ['Hello there, how are you today?', 'Tell me something about the sea.'];
const REPLY = 'I am fine, thank you for asking. The sea is wide and deep.';
// Round operator prices, so the arithmetic below is plain.
const PRICES = {
  'stt/deepgram/*': { usdPerAudioMinute: 0.5 },
  'llm/openai/*': { usdPerMillionPromptTokens: 300, usdPerMillionCompletionTokens: 900 },
  'tts/cartesia/*': { usdPerMillionCharacters: 2000 },
};
/** Deepgram's plugin reports audio it sent every 5 s (and on a flush): the last part of a call may go unreported. */
const STT_REPORT_PERIOD_S = 5;

describe('usage and cost of a real call', () => {
  let stack: Stack;
  let caller: Caller | undefined;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-prices-'));
    writeFileSync(path.join(dir, 'prices.json'), JSON.stringify(PRICES));
    stack = await startStack({
      deepgram: { transcripts: [...TURNS] },
      openai: { ttftMs: 60, reply: () => REPLY },
      gatewayEnv: { PRICES_FILE: path.join(dir, 'prices.json') },
    });
  }, 120_000);

  afterAll(async () => {
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
  });

  it("stores the agent's usage with the conversation, priced, and matches what the providers' fakes counted", async () => {
    const client = stack.client();
    await registerUser(client);
    const speech = await Promise.all(TURNS.map((t) => synthesizeSpeechWav(t, { lang: 'en-us', sampleRate: 48000 })));
    caller = await startCall(client);
    const { conversationId } = caller.call;
    await caller.agentAudio.firstVoicedAfter(0, 20_000);
    await waitForAgentState(caller, 'listening');
    for (const { pcm } of speech) {
      const { endedAt } = await caller.say(pcm);
      const first = await caller.agentAudio.firstVoicedAfter(endedAt, 15_000);
      await caller.agentAudio.silentFor(700, first);
      await waitForAgentState(caller, 'listening');
    }
    await caller.hangUp();
    caller = undefined;

    const { openai, cartesia, deepgram } = stack.fakes;
    // What the providers counted. OpenAI: the usage chunk of each streamed reply (the agent's; the
    // gateway's own title request is not streamed). Cartesia: each spoken context's text (the
    // plugin sends sentence by sentence, each with a trailing space; agents counts the text as given).
    const prompt = openai.streamedUsage.reduce((n, u) => n + u.promptTokens, 0);
    const completion = openai.streamedUsage.reduce((n, u) => n + u.completionTokens, 0);
    expect(openai.streamedUsage).toHaveLength(2);
    const contexts = new Map<string, string[]>();
    for (const r of cartesia.requests) contexts.set(r.contextId, [...(contexts.get(r.contextId) ?? []), r.transcript]);
    const characters = [...contexts.values()].reduce((n, parts) => n + parts.map((p) => p.trim()).join(' ').length, 0);
    expect(contexts.size).toBe(3); // the greeting and two replies
    const sttSentSeconds = deepgram.sessions.reduce((n, s) => n + s.audioBytes, 0) / (16_000 * 2);

    // The job's last report is sent just before the call's end.
    await waitFor(
      async () => (await client.get(`/api/calls/${conversationId}`)).body.status === 'ended',
      20_000,
      'the call ended',
    );
    let cost: any;
    await waitFor(
      async () => {
        const res = await client.get('/api/me/usage/cost');
        cost = res.body;
        return res.status === 200 && cost.total.llmCompletionTokens === completion && cost.total.ttsCharacters > 0;
      },
      20_000,
      'the call priced in /api/me/usage/cost',
    );
    const stored = await stack.database.db('call_usage').where({ conversation_id: conversationId });
    expect(stored.map((r) => `${r.stage}/${r.provider}/${r.model}`).sort()).toEqual([
      'llm/openai/gpt-4.1-mini',
      'stt/deepgram/nova-3',
      'tts/cartesia/sonic-2',
    ]);
    const { total } = cost;
    expect(total.llmPromptTokens).toBe(prompt);
    expect(total.llmCompletionTokens).toBe(completion);
    expect(total.ttsCharacters).toBe(characters);
    expect(total.sttAudioSeconds).toBeGreaterThan(0);
    expect(total.sttAudioSeconds).toBeLessThanOrEqual(sttSentSeconds + 0.01);
    expect(total.sttAudioSeconds).toBeGreaterThanOrEqual(sttSentSeconds - STT_REPORT_PERIOD_S);
    const expected =
      (total.sttAudioSeconds / 60) * 0.5 + (prompt * 300) / 1e6 + (completion * 900) / 1e6 + (characters * 2000) / 1e6;
    expect(total.costUsd).toBeCloseTo(expected, 5);
    expect(total.unpriced).toBe(false);
    expect(total.calls).toBe(1);
    expect(total.minutes).toBeGreaterThan(0);
    expect(cost.conversations).toHaveLength(1);
    expect(cost.conversations[0]).toMatchObject({
      conversationId,
      costUsd: total.costUsd,
      llmPromptTokens: prompt,
      ttsCharacters: characters,
    });
    console.info(
      `usage: stt ${total.sttAudioSeconds} s (fake received ${sttSentSeconds.toFixed(2)} s), llm ${prompt}/${completion} tokens, tts ${characters} chars → $${total.costUsd}`,
    );
  });
});
