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

  it("serves an ended conversation's every turn from one stored document, and never a stale one", async () => {
    const id = randomUUID();
    await repos.conversations.create({ id, userId, room: `parley-${id}`, language: 'en' });
    const metrics = {
      endOfUtteranceDelayMs: 300,
      transcriptionDelayMs: 9,
      llmTtftMs: 120,
      ttsTtfbMs: 80,
      e2eLatencyMs: 700,
    };
    await repos.utterances.insert(id, userId, [utt(0), utt(1, { metrics }), utt(2, { typed: true })]);
    const documents = () => t.db('conversation_transcripts').where({ conversation_id: id });

    // A live call's whole read is the rows; nothing is kept while turns may still come.
    const live = await repos.utterances.list(id);
    expect(live.map((u) => u.seq)).toEqual([0, 1, 2]);
    expect(await documents()).toEqual([]);

    // Ended: the first whole read keeps it, the next is served from it, the same turns as the rows.
    await repos.conversations.markEnded(id, new Date(), 'caller_left');
    expect(await repos.utterances.list(id)).toEqual(live);
    expect((await documents()).map((d) => d.turns)).toEqual([3]);
    expect(await repos.utterances.list(id)).toEqual(live);
    expect(await repos.utterances.list(id, 1000)).toEqual(live);
    // Served from the document, not the rows: a marked document with the same turn count is what comes back.
    const marked = live.map((u) => ({ ...u, text: `${u.text} (document)` }));
    await documents().update({ doc: JSON.stringify(marked) });
    expect((await repos.utterances.list(id)).map((u) => u.text)).toEqual(marked.map((u) => u.text));

    // A turn stored after the call ended (a late spool replay) makes the document stale: the next
    // read is the rows again, all four, and keeps them as the new document.
    expect(await repos.utterances.insert(id, userId, [utt(3)])).toEqual([3]);
    const after = await repos.utterances.list(id);
    expect(after.map((u) => [u.seq, u.text])).toEqual([0, 1, 2, 3].map((seq) => [seq, `line ${seq}`]));
    expect((await documents()).map((d) => d.turns)).toEqual([4]);
    expect(await repos.utterances.list(id)).toEqual(after);
    // A replay of stored turns changes nothing (turn_count unchanged): still served from the document.
    expect(await repos.utterances.insert(id, userId, [utt(3)])).toEqual([]);
    expect(await repos.utterances.list(id)).toEqual(after);

    // Deleting the conversation deletes its document.
    await t.db('conversations').where({ id }).del();
    expect(await documents()).toEqual([]);
    expect(await repos.utterances.list(id)).toEqual([]);
  });

  it('writes concurrent inserts beyond those in flight together (fewer statements than calls), each caller told only its own new seqs', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) await repos.conversations.create({ id, userId, room: `parley-${id}`, language: 'en' });
    let statements = 0;
    const count = (q: { sql: string }) => void (q.sql.includes('jsonb_to_recordset') && statements++);
    t.db.on('query', count);
    try {
      const results = await Promise.all([
        repos.utterances.insert(ids[0]!, userId, [utt(0), utt(1)]),
        repos.utterances.insert(ids[1]!, userId, [utt(0)]),
        repos.utterances.insert(ids[2]!, userId, [utt(0, { metrics: { e2eLatencyMs: 900 } as never })]),
        repos.utterances.insert(ids[0]!, userId, [utt(1), utt(2)]),
        repos.utterances.insert(ids[1]!, userId, [utt(0), utt(1)]),
        repos.utterances.insert(ids[2]!, userId, [utt(1), utt(1)]),
        repos.utterances.insert(ids[0]!, userId, [utt(3)]),
        repos.utterances.insert(ids[1]!, userId, [utt(2)]),
        ...[4, 5, 6, 7].map((s) => repos.utterances.insert(ids[0]!, userId, [utt(s)])),
      ]);
      // A seq two callers sent is inserted once and counts for the first of them.
      expect(results).toEqual([[0, 1], [0], [0], [2], [1], [1], [3], [2], [4], [5], [6], [7]]);
      expect(statements).toBeLessThan(results.length);
    } finally {
      t.db.off('query', count);
    }
    for (const [id, n] of [
      [ids[0]!, 8],
      [ids[1]!, 3],
      [ids[2]!, 2],
    ] as const) {
      expect((await repos.utterances.list(id)).map((u) => u.seq)).toEqual([...Array(n).keys()]);
      expect((await repos.conversations.find(id))?.turnCount).toBe(n);
    }
    expect((await repos.utterances.list(ids[2]!))[0]!.metrics).toEqual({ e2eLatencyMs: 900 });
    // Pages by seq: the first turns, then those after a seq; the first user turn on its own.
    const seqs = async (limit?: number, afterSeq?: number) =>
      (await repos.utterances.list(ids[0]!, limit, afterSeq)).map((u) => u.seq);
    expect(await seqs(3)).toEqual([0, 1, 2]);
    expect(await seqs(3, 2)).toEqual([3, 4, 5]);
    expect(await seqs(3, 5)).toEqual([6, 7]);
    expect(await seqs(undefined, 6)).toEqual([7]);
    expect(await seqs(3, 7)).toEqual([]);
    expect(await repos.utterances.firstUserText(ids[0]!)).toBe('line 0');
    expect(await repos.utterances.firstUserText(randomUUID())).toBeNull();
  });

  it('fails only the caller whose write fails when its insert was grouped with others', async () => {
    const id = randomUUID();
    await repos.conversations.create({ id, userId, room: `parley-${id}`, language: 'en' });
    const gone = randomUUID(); // no such conversation: its rows break the foreign key
    let statements = 0;
    const count = (q: { sql: string }) => void (q.sql.includes('jsonb_to_recordset') && statements++);
    t.db.on('query', count);
    let results: PromiseSettledResult<number[]>[];
    try {
      // Eight writes fill the slots; the missing conversation's write and the ninth go together.
      results = await Promise.allSettled([
        ...[0, 1, 2, 3, 4, 5, 6, 7].map((s) => repos.utterances.insert(id, userId, [utt(s)])),
        repos.utterances.insert(gone, userId, [utt(0)]),
        repos.utterances.insert(id, userId, [utt(8)]),
      ]);
    } finally {
      t.db.off('query', count);
    }
    expect(results.map((r) => r.status)).toEqual([...Array(8).fill('fulfilled'), 'rejected', 'fulfilled']);
    expect((results[8] as PromiseRejectedResult).reason).toMatchObject({ code: '23503' });
    expect(statements).toBe(11); // 8 alone, 1 group, then its 2 writes alone
    expect((await repos.utterances.list(id)).map((u) => u.seq)).toEqual([...Array(9).keys()]);
    expect((await repos.conversations.find(id))?.turnCount).toBe(9);
  });
});
