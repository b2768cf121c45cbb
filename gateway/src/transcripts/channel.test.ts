import { describe, expect, it } from 'vitest';
import { SERVER_MESSAGE_HEAD, serverMessage, type ServerMessage } from '@parley/protocol';
import { utterance } from '@parley/testkit/calls';
import { readBusMessage } from './channel';

const id = '7b0d8a52-3c1e-4a57-9a0b-2f1d3c4e5f60';

describe('readBusMessage', () => {
  const messages: ServerMessage[] = [
    serverMessage('interim', id, { role: 'agent', segmentId: 's-1', text: 'the "agent" is saying' }),
    serverMessage('agent_state', id, { state: 'thinking' }),
    serverMessage('utterance', id, { utterance: utterance(7) }),
    serverMessage('call_ended', id, { reason: 'caller_left' }),
  ];
  it.each(messages.map((m) => [m.type, m] as const))(
    'reads what a full parse would from a published %s, and frames it unchanged',
    (_type, m) => {
      const raw = JSON.stringify(m);
      const got = readBusMessage(raw);
      expect(got.type).toBe(m.type);
      expect(got.seq).toBe(m.type === 'utterance' ? 7 : undefined);
      expect(got.createdAtMs).toBe(Date.parse(m.createdAt));
      expect(got.frame().toString()).toBe(raw);
    },
  );

  // The fast path holds only while serverMessage writes its head first, in this order.
  it.each(messages.map((m) => [m.type, m] as const))(
    'serverMessage(%s) starts with the head read without a parse',
    (_t, m) => {
      const head = SERVER_MESSAGE_HEAD.exec(JSON.stringify(m));
      expect(head?.slice(1)).toEqual([m.type, m.createdAt, m.type === 'utterance' ? '7' : undefined]);
    },
  );

  it('parses an utterance whose seq is not its first key (e.g. read back from the store)', () => {
    const { seq, ...rest } = utterance(4);
    const raw = JSON.stringify({
      ...serverMessage('utterance', id, { utterance: utterance(4) }),
      utterance: { ...rest, seq },
    });
    expect(SERVER_MESSAGE_HEAD.exec(raw)?.[3]).toBeUndefined();
    expect(readBusMessage(raw)).toMatchObject({ type: 'utterance', seq: 4 });
  });

  it('parses a message in another key order (not written by publishTranscript)', () => {
    const raw = JSON.stringify({ createdAt: '2026-01-01T00:00:00.000Z', type: 'utterance', utterance: { seq: 3 } });
    expect(readBusMessage(raw)).toMatchObject({ type: 'utterance', seq: 3, createdAtMs: Date.parse('2026-01-01') });
  });
});
