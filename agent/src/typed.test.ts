import { initializeLogger, voice } from '@livekit/agents';
import {
  DEFAULT_PREFERENCES,
  TYPED_TEXT_MAX,
  type IngestEvent,
  type TypedTextError,
  type Utterance,
} from '@parley/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { ParleyAgent } from './agent';
import { Reporter } from './reporting/reporter';
import { typedTextInput } from './typed';

beforeAll(() => initializeLogger({ pretty: false, level: 'error' }));

/** A text-only AgentSession (no room) with the agents framework's scripted LLM. */
async function startSession(reply: string, input: string) {
  const llm = new voice.testing.FakeLLM([{ input, content: reply }]);
  const session = new voice.AgentSession({ llm });
  const pushed: IngestEvent[] = [];
  const reporter = new Reporter({ push: (e: IngestEvent) => pushed.push(e) } as never, 'en');
  reporter.attach(session);
  await session.start({ agent: new ParleyAgent({ preferences: DEFAULT_PREFERENCES }) });
  const utterances = () => pushed.flatMap((e) => (e.type === 'utterance' ? [e.utterance] : [])) as Utterance[];
  return { session, utterances, close: () => session.close() };
}

describe('typed messages', () => {
  it('become a user turn the agent answers, stored as typed (trimmed, no speech metrics)', async () => {
    const s = await startSession('Your dog is called Biscuit.', 'What is my dog called?');
    const refused: TypedTextError[] = [];
    try {
      const onText = typedTextInput({ onRefused: (e) => refused.push(e) });
      const replied = new Promise<void>((resolve) =>
        s.session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
          if (ev.item.type === 'message' && ev.item.role === 'assistant') resolve();
        }),
      );
      onText(s.session, { text: '  What is my dog called?\n', participantIdentity: 'caller' });
      await replied;
      expect(refused).toEqual([]);
      expect(s.utterances().map((u) => [u.seq, u.role, u.text, u.typed])).toEqual([
        [0, 'user', 'What is my dog called?', true],
        [1, 'agent', 'Your dog is called Biscuit.', undefined],
      ]);
      expect(s.utterances()[0]!.metrics).toBeNull();
    } finally {
      await s.close();
    }
  });

  it('refuses empty, over-long and NUL text with a code, and asks nothing of the session', () => {
    const refused: Array<[TypedTextError, string | undefined]> = [];
    const onText = typedTextInput({ onRefused: (e, who) => refused.push([e, who]) });
    const calls: string[] = [];
    const session = {
      interrupt: () => (calls.push('interrupt'), { await: Promise.resolve() }),
      generateReply: () => (calls.push('reply'), {}),
    } as never;
    onText(session, { text: '   \n ', participantIdentity: 'a' });
    onText(session, { text: 'x'.repeat(TYPED_TEXT_MAX + 1), participantIdentity: 'b' });
    onText(session, { text: 'a\u0000b' });
    expect(refused).toEqual([
      [{ code: 'typed_text_empty', max: TYPED_TEXT_MAX }, 'a'],
      [{ code: 'typed_text_too_long', max: TYPED_TEXT_MAX }, 'b'],
      [{ code: 'typed_text_invalid', max: TYPED_TEXT_MAX }, undefined],
    ]);
    expect(calls).toEqual([]);
    // Exactly the limit, counted in characters (each emoji is one), is accepted.
    onText(session, { text: '🐕'.repeat(TYPED_TEXT_MAX) });
    expect(calls).toEqual(['interrupt', 'reply']);
  });
});
