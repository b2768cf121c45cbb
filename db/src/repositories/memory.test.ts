import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrateLatest, type Database } from '../connect';
import { createRepositories, type Repositories } from './index';

/**
 * Memory on embedded PGlite (the gateway's tests cover Postgres): the same SQL, ranked recall
 * included; and deletes that report what they removed (a delete that "found nothing" is a 404).
 */
describe('memory repository on embedded PGlite', () => {
  let db: Database;
  let repos: Repositories;
  const user = async (email: string) =>
    (await db('users').insert({ email, password_hash: 'x', display_name: 'u' }).returning('id'))[0].id as string;
  const conversation = async (owner: string, createdAt: Date, texts: string[]) => {
    const id = randomUUID();
    await db('conversations').insert({ id, user_id: owner, room: id, status: 'ended', created_at: createdAt });
    await db('utterances').insert(
      texts.map((text, seq) => ({
        conversation_id: id,
        user_id: owner,
        seq,
        role: seq % 2 ? 'agent' : 'user',
        text,
        language: 'en',
        started_at: createdAt,
        ended_at: createdAt,
      })),
    );
    return id;
  };

  beforeAll(async () => {
    db = createDatabase({});
    await migrateLatest(db);
    repos = createRepositories(db);
  });
  afterAll(async () => db?.destroy());

  it('keeps summaries per owner, newest first, and recalls only the owner’s utterances, best match first', async () => {
    const [ann, ben] = [await user('ann@example.com'), await user('ben@example.com')];
    const old = await conversation(ann, new Date('2026-01-01T10:00:00Z'), ['I grow tomatoes in my garden', 'Nice.']);
    const recent = await conversation(ann, new Date('2026-02-01T10:00:00Z'), ['My dog is called Biscuit', 'Cute.']);
    const bens = await conversation(ben, new Date('2026-03-01T10:00:00Z'), ['My dog is called Rex', 'Ok.']);
    const now = await conversation(ann, new Date('2026-04-01T10:00:00Z'), ['what is my dog called']);

    expect(await repos.memory.saveSummary(ann, old, 'Grows tomatoes.')).toBe(true);
    expect(await repos.memory.saveSummary(ann, recent, 'Has a dog, Biscuit.')).toBe(true);
    expect(await repos.memory.saveSummary(ann, bens, 'Not hers.')).toBe(false); // not Ann's conversation
    expect((await repos.memory.summaries(ann, { limit: 10 })).map((s) => s.summary)).toEqual([
      'Has a dog, Biscuit.',
      'Grows tomatoes.',
    ]);

    const hits = await repos.memory.recall(ann, 'what is my dog called', { limit: 5, exclude: now });
    expect(hits.map((h) => h.text)).toEqual(['My dog is called Biscuit']);
    expect(await repos.memory.recall(ann, 'is my', { limit: 5 })).toEqual([]); // nothing but short words

    expect(await repos.memory.forget(ben, recent)).toBe(false);
    expect(await repos.memory.forgetAll(ann)).toBe(2);
    expect(await repos.memory.summaries(ann, { limit: 10 })).toEqual([]);
  });

  it('deletes report the rows they removed, as on Postgres', async () => {
    const owner = await user('del@example.com');
    const c = await repos.conversations.create({ id: randomUUID(), userId: owner, room: 'del-room', language: 'en' });
    expect(await repos.conversations.deleteOwned(owner, c.id)).toBe(true);
    expect(await repos.conversations.deleteOwned(owner, c.id)).toBe(false);
    expect(await db('users').where({ id: owner }).del()).toBe(1);
  });
});
