import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@parley/testkit/db';
import { createRepositories, type Repositories } from './index';
import type { UtteranceRecord } from './utterances';

let t: TestDatabase;
let repos: Repositories;
let userId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  repos = createRepositories(t.db);
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
    const created = await repos.conversations.create({ id, userId, room: `parley-${id}`, language: 'es' });
    expect(created).toMatchObject({ id, userId, status: 'created', language: 'es', turnCount: 0, endedAt: null });
    expect((await repos.conversations.findByRoom(`parley-${id}`))?.id).toBe(id);
    expect(await repos.conversations.find(randomUUID())).toBeNull();

    const start = new Date(Date.now() - 5000);
    expect(await repos.conversations.markStarted(id, start)).toBe(true);
    expect(await repos.conversations.markStarted(id, new Date())).toBe(false);

    const end = new Date(start.getTime() + 4321);
    const ended = await repos.conversations.markEnded(id, end, 'caller_left');
    expect(ended).toMatchObject({ status: 'ended', endReason: 'caller_left', durationMs: 4321 });
    expect(await repos.conversations.markEnded(id, new Date(), 'agent_failed')).toBeNull();
    expect(await repos.conversations.find(id)).toMatchObject({ endReason: 'caller_left', durationMs: 4321 });
    // An ended call cannot become active again.
    expect(await repos.conversations.markStarted(id, new Date())).toBe(false);
  });

  it('inserts utterances idempotently on (conversation, seq) and counts only new turns', async () => {
    const id = randomUUID();
    await repos.conversations.create({ id, userId, room: `parley-${id}`, language: 'en' });
    const metrics = {
      endOfUtteranceDelayMs: 310,
      transcriptionDelayMs: 12,
      llmTtftMs: 140,
      ttsTtfbMs: 90,
      e2eLatencyMs: 980,
    };
    expect(await repos.utterances.insert(id, userId, [utt(1, { metrics }), utt(0)])).toEqual(
      expect.arrayContaining([0, 1]),
    );
    // Replay with one new seq: only the new one is inserted.
    expect(
      await repos.utterances.insert(id, userId, [utt(0), utt(1, { text: 'changed' }), utt(2, { interrupted: true })]),
    ).toEqual([2]);
    expect(await repos.utterances.insert(id, userId, [utt(2)])).toEqual([]);
    // A typed turn keeps its mark; a spoken one reads back exactly as written (no mark).
    expect(await repos.utterances.insert(id, userId, [utt(3, { role: 'user', typed: true })])).toEqual([3]);
    const list = await repos.utterances.list(id);
    expect(list.map((u) => u.seq)).toEqual([0, 1, 2, 3]);
    expect(list[1]).toEqual(utt(1, { metrics }));
    expect(list[2]!.interrupted).toBe(true);
    expect(list[3]).toEqual(utt(3, { role: 'user', typed: true }));
    expect((await repos.conversations.find(id))?.turnCount).toBe(4);
  });
});
