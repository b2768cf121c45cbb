import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@parley/testkit/db';
import {
  createConversation,
  findConversation,
  findConversationByRoom,
  markConversationEnded,
  markConversationStarted,
} from './conversations';
import { insertUtterances, listUtterances, type UtteranceRecord } from './utterances';

let t: TestDatabase;
let userId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const [u] = await t
    .db('users')
    .insert({ email: 'r@example.com', password_hash: 'x', display_name: 'R' })
    .returning(['id']);
  userId = u.id;
});
afterAll(async () => t?.drop());

const utt = (seq: number, extra: Partial<UtteranceRecord> = {}): UtteranceRecord => ({
  seq,
  role: seq % 2 ? 'agent' : 'user',
  text: `line ${seq}`,
  language: 'en',
  startedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
  endedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, seq + 1)).toISOString(),
  interrupted: false,
  metrics: null,
  ...extra,
});

describe('conversations repository', () => {
  it('creates, finds by id and room, starts once and ends once (first end wins)', async () => {
    const id = randomUUID();
    const created = await createConversation(t.db, { id, userId, room: `parley-${id}`, language: 'es' });
    expect(created).toMatchObject({ id, userId, status: 'created', language: 'es', turnCount: 0, endedAt: null });
    expect((await findConversationByRoom(t.db, `parley-${id}`))?.id).toBe(id);
    expect(await findConversation(t.db, randomUUID())).toBeNull();

    const start = new Date(Date.now() - 5000);
    expect(await markConversationStarted(t.db, id, start)).toBe(true);
    expect(await markConversationStarted(t.db, id, new Date())).toBe(false);

    const end = new Date(start.getTime() + 4321);
    const ended = await markConversationEnded(t.db, id, end, 'caller_left');
    expect(ended).toMatchObject({ status: 'ended', endReason: 'caller_left', durationMs: 4321 });
    expect(await markConversationEnded(t.db, id, new Date(), 'agent_failed')).toBeNull();
    expect(await findConversation(t.db, id)).toMatchObject({ endReason: 'caller_left', durationMs: 4321 });
    // An ended call cannot become active again.
    expect(await markConversationStarted(t.db, id, new Date())).toBe(false);
  });

  it('inserts utterances idempotently on (conversation, seq) and counts only new turns', async () => {
    const id = randomUUID();
    await createConversation(t.db, { id, userId, room: `parley-${id}`, language: 'en' });
    const metrics = {
      endOfUtteranceDelayMs: 310,
      transcriptionDelayMs: 12,
      llmTtftMs: 140,
      ttsTtfbMs: 90,
      e2eLatencyMs: 980,
    };
    expect(await insertUtterances(t.db, id, userId, [utt(1, { metrics }), utt(0)])).toEqual(
      expect.arrayContaining([0, 1]),
    );
    // Replay with one new seq: only the new one is inserted.
    expect(
      await insertUtterances(t.db, id, userId, [utt(0), utt(1, { text: 'changed' }), utt(2, { interrupted: true })]),
    ).toEqual([2]);
    expect(await insertUtterances(t.db, id, userId, [utt(2)])).toEqual([]);
    const list = await listUtterances(t.db, id);
    expect(list.map((u) => u.seq)).toEqual([0, 1, 2]);
    expect(list[1]).toEqual(utt(1, { metrics }));
    expect(list[2]!.interrupted).toBe(true);
    expect((await findConversation(t.db, id))?.turnCount).toBe(3);
  });
});
