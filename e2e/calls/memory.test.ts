import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestClient } from '@parley/testkit';
import { synthesizeSpeechWav } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import type { FakeChatMessage } from '@parley/testkit/fakes/openai';
import { startStack, type Stack } from '@parley/testkit/stack';
import { registerUser, waitFor } from './helpers';

/**
 * Issue 24, done-when: call 1 — the caller says their dog's name; the call ends; a summary is
 * stored. Call 2 — the caller asks what their dog is called: the LLM's request carries the summary
 * in its data section, the model calls `recall`, the tool's result (the caller's own recognised
 * words, from the database through the gateway) goes back to the model, and the answer is spoken
 * and stored. With memory off, none of it happens.
 */

const TOLD = 'My dog is called Biscuit.';
const ASKED = 'What is my dog called?';

/** The model: calls recall when asked about the dog, then answers from the tool's result. */
const toolCalls = ({ messages, tools }: { messages: FakeChatMessage[]; tools: string[] }) => {
  const last = messages[messages.length - 1];
  return tools.includes('recall') && last?.role === 'user' && /dog called\?/i.test(last.content)
    ? [{ name: 'recall', arguments: { query: 'dog called' } }]
    : null;
};
const reply = ({ messages }: { messages: FakeChatMessage[] }) => {
  const tool = [...messages].reverse().find((m) => m.role === 'tool');
  const name = tool && /dog is called (\w+)/i.exec(tool.content)?.[1];
  return name ? `Your dog is called ${name}.` : 'I do not know that yet.';
};
/** The end-of-call notes, written from the transcript the gateway sends. */
const titles = (transcript: string) => {
  const name = /dog is called (\w+)/i.exec(transcript)?.[1];
  return name ? `Title: Your dog\nSummary: The user has a dog called ${name}.` : 'Title: A question';
};

describe('an agent that remembers its caller', () => {
  let stack: Stack;
  let caller: Caller | undefined;
  let speech: { told: Int16Array; asked: Int16Array };

  beforeAll(async () => {
    stack = await startStack({ deepgram: { transcripts: [TOLD, ASKED, ASKED] }, openai: { reply, toolCalls, titles } });
    const [told, asked] = await Promise.all([TOLD, ASKED].map((t) => synthesizeSpeechWav(t, { sampleRate: 48000 })));
    speech = { told: told!.pcm, asked: asked!.pcm };
  }, 120_000);
  afterAll(async () => {
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
  });

  /** One call: wait for the greeting, say `pcm`, wait for the reply to finish, hang up. */
  const oneTurnCall = async (client: TestClient, pcm: Int16Array) => {
    caller = await startCall(client);
    const { conversationId } = caller.call;
    await caller.agentAudio.firstVoicedAfter(0, 30_000);
    await waitForAgentState(caller, 'listening');
    const { endedAt } = await caller.say(pcm);
    const first = await caller.agentAudio.firstVoicedAfter(endedAt, 30_000);
    await caller.agentAudio.silentFor(700, first);
    await waitFor(
      async () =>
        (await stack.database.db('utterances').where({ conversation_id: conversationId, role: 'agent' })).length >= 2,
      15_000,
    );
    await caller.hangUp();
    caller = undefined;
    return conversationId;
  };
  const requestsSince = (n: number) => stack.fakes.openai.chatRequests.slice(n).filter((r) => r.stream);

  it('with memory on: the summary of call 1 reaches call 2, whose recall finds the name; the answer is spoken and stored', async () => {
    const client = stack.client();
    await registerUser(client);
    const { preferences } = (await client.get('/api/me/preferences')).body;
    expect((await client.put('/api/me/preferences', { ...preferences, memory: true })).status).toBe(200);

    const first = await oneTurnCall(client, speech.told);
    await waitFor(async () => (await client.get('/api/me/memory')).body.summaries.length === 1, 20_000);
    const [summary] = (await client.get('/api/me/memory')).body.summaries;
    expect(summary).toMatchObject({ conversationId: first, summary: 'The user has a dog called Biscuit.' });

    const before = stack.fakes.openai.chatRequests.length;
    const calls = stack.fakes.openai.toolCallsSent.length;
    const second = await oneTurnCall(client, speech.asked);
    const asked = requestsSince(before);
    // The summary sits in the data section of the instructions; recall is offered.
    const system = String(asked[0]!.messages[0]!.content);
    const section = system.slice(
      system.indexOf('<<<PAST_CONVERSATIONS>>>'),
      system.indexOf('<<<END_PAST_CONVERSATIONS>>>'),
    );
    expect(section).toContain('The user has a dog called Biscuit.');
    expect(asked[0]!.body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['recall']);
    // The model called recall; the tool's answer held the caller's own words from call 1.
    expect(stack.fakes.openai.toolCallsSent.slice(calls).map((c) => c.name)).toEqual(['recall']);
    const toolMessage = asked.flatMap((r) => r.messages).find((m: { role: string }) => m.role === 'tool');
    expect(String(toolMessage?.content)).toContain('User: My dog is called Biscuit.');

    const stored = await stack.database.db('utterances').where({ conversation_id: second }).orderBy('seq');
    expect(stored.map((u) => [u.role, u.text])).toContainEqual(['user', ASKED]);
    expect(stored.map((u) => [u.role, u.text])).toContainEqual(['agent', 'Your dog is called Biscuit.']);
  }, 240_000);

  it('with memory off (the default): no summary, nothing remembered, no recall tool', async () => {
    const client = stack.client();
    await registerUser(client);
    const before = stack.fakes.openai.chatRequests.length;
    const id = await oneTurnCall(client, speech.asked);
    const asked = requestsSince(before);
    expect(asked.length).toBeGreaterThan(0);
    for (const r of asked) {
      expect(r.body.tools ?? []).toEqual([]); // no function offered
      expect(String(r.messages[0]!.content)).not.toContain('PAST_CONVERSATIONS');
    }
    const stored = await stack.database.db('utterances').where({ conversation_id: id, role: 'agent' }).orderBy('seq');
    expect(stored.at(-1)!.text).toBe('I do not know that yet.');
    // The title comes; a summary never does.
    await waitFor(async () => !!(await stack.database.db('conversations').where({ id }).first()).title, 20_000);
    expect((await client.get('/api/me/memory')).body).toEqual({ enabled: false, summaries: [] });
  }, 240_000);
});
