import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrateLatest, type Database } from '../connect';
import {
  chooseStrategy,
  HIGHLIGHT_START,
  HIGHLIGHT_STOP,
  HistoryRepository,
  lexemeSharesFromStatistics,
  plainLexemes,
  WALK_FROM_SHARE,
  type KeysetPosition,
} from './history';
import { createRepositories, type Repositories } from './index';

/** History queries on embedded PGlite: the same SQL as on Postgres, full-text search included. */
describe('history repository on embedded PGlite', () => {
  let db: Database;
  let repos: Repositories;
  let userId: string;
  let otherId: string;
  const ids: string[] = [];

  async function user(email: string) {
    const [row] = await db('users').insert({ email, password_hash: 'x', display_name: 'u' }).returning('id');
    return row.id as string;
  }
  async function conversation(owner: string, createdAt: Date, texts: string[]) {
    const id = randomUUID();
    await db('conversations').insert({
      id,
      user_id: owner,
      room: id,
      status: 'ended',
      created_at: createdAt,
      started_at: createdAt,
      ended_at: createdAt,
      turn_count: texts.length,
    });
    if (texts.length)
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
  }

  beforeAll(async () => {
    db = createDatabase({});
    await migrateLatest(db);
    repos = createRepositories(db);
    userId = await user('a@example.test');
    otherId = await user('b@example.test');
    for (let i = 0; i < 7; i++)
      ids.push(
        await conversation(userId, new Date(Date.UTC(2025, 0, 1 + i)), [
          'hello',
          `middle words ${i % 2 ? 'penguin' : 'walrus'} here`,
          'goodbye',
        ]),
      );
    await conversation(otherId, new Date(Date.UTC(2025, 0, 3)), ['penguin of someone else']);
  });
  afterAll(async () => db?.destroy());

  it('pages newest first by keyset without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: KeysetPosition | undefined;
    for (;;) {
      const page = await repos.history.list({ userId, limit: 3, after });
      seen.push(...page.rows.map((r) => r.id));
      if (!page.hasMore) break;
      after = page.rows.at(-1)!.position;
    }
    expect(seen).toEqual([...ids].reverse());
    expect(ids.every((id) => seen.includes(id))).toBe(true);
  });

  it("searches the user's utterances with websearch syntax and marks the match", async () => {
    const page = await repos.history.list({ userId, limit: 10, q: 'PENGUIN' });
    expect(page.rows.map((r) => r.id)).toEqual([ids[5], ids[3], ids[1]]);
    expect(page.rows[0]!.headline).toContain(`${HIGHLIGHT_START}penguin${HIGHLIGHT_STOP}`);
    const paged = await repos.history.list({ userId, limit: 2, q: 'penguin', after: page.rows[1]!.position });
    expect(paged.rows.map((r) => r.id)).toEqual([ids[1]]);
    expect((await repos.history.list({ userId, limit: 10, q: 'walrus -here' })).rows).toEqual([]);
    expect((await repos.history.list({ userId, limit: 10, q: '"middle words"' })).rows).toHaveLength(7);
    expect((await repos.history.list({ userId, limit: 10, q: '!!!' })).rows).toEqual([]);
  });

  it('finds several words in one turn of the user only, as the single-word plan does', async () => {
    // A user whose id shares userId's first two hex digits: the same bucket of the term index.
    const neighbour = `${userId.slice(0, 2)}${randomUUID().slice(2)}`;
    await db('users').insert({ id: neighbour, email: 'c@example.test', password_hash: 'x', display_name: 'u' });
    const theirs = await conversation(neighbour, new Date(Date.UTC(2025, 0, 9)), ['middle words penguin here']);
    const mine = await repos.history.list({ userId, limit: 10, q: 'Middle  penguin' });
    expect(mine.rows.map((r) => r.id)).toEqual([ids[5], ids[3], ids[1]]);
    expect(mine.rows[0]!.headline).toContain(`${HIGHLIGHT_START}middle${HIGHLIGHT_STOP}`);
    expect(mine.rows[0]!.headline).toContain(`${HIGHLIGHT_START}penguin${HIGHLIGHT_STOP}`);
    // Quoting each word gives the same tsquery through the tsv plan.
    const quoted = await repos.history.list({ userId, limit: 10, q: '"middle" "penguin"' });
    expect(quoted.rows).toEqual(mine.rows);
    // Words in different turns of a conversation do not match; neither does a neighbour's turn.
    expect((await repos.history.list({ userId, limit: 10, q: 'hello penguin' })).rows).toEqual([]);
    const notTheirs = await repos.history.list({ userId, limit: 10, q: 'penguin here' });
    expect(notTheirs.rows.map((r) => r.id)).toEqual([ids[5], ids[3], ids[1]]);
    const theirPage = await repos.history.list({ userId: neighbour, limit: 10, q: 'penguin here' });
    expect(theirPage.rows.map((r) => r.id)).toEqual([theirs]);
    // Words a websearch query does not require keep their meaning.
    expect((await repos.history.list({ userId, limit: 10, q: 'walrus or penguin' })).rows).toHaveLength(7);
    expect((await repos.history.list({ userId, limit: 10, q: 'middle -penguin' })).rows).toHaveLength(4);
    await db('users').where({ id: neighbour }).delete();
  });

  it('chooses the walk for words in a good share of turns and the term index otherwise', () => {
    expect(plainLexemes('  Penguin  HERE ')).toEqual(['penguin', 'here']);
    expect(plainLexemes('Ölfeld 2025')).toEqual(['ölfeld', '2025']);
    for (const q of ['"middle words"', 'walrus -here', 'walrus or penguin', "don't", '!!!', ''])
      expect(plainLexemes(q)).toBeNull();
    const shares = new Map([
      ['the', 0.5],
      ['weather', 0.03],
      ['garden', 0.02],
    ]);
    expect(chooseStrategy(['weather'], shares)).toBe('walk');
    expect(chooseStrategy(['the', 'weather'], shares)).toBe('walk');
    // Both words in one turn: rarer than either (0.02 × 0.03 = 0.0006).
    expect(chooseStrategy(['garden', 'weather'], shares)).toBe('terms');
    expect(chooseStrategy(['zeppelin'], shares)).toBe('terms');
    expect(chooseStrategy(['x'], new Map([['x', WALK_FROM_SHARE]]))).toBe('walk');
  });

  it('lists the same pages whichever strategy a search takes, the walk giving way past its window', async () => {
    const everyWordCommon = async () =>
      new Map(['penguin', 'walrus', 'middle', 'words', 'here', 'hello'].map((w) => [w, 1]));
    const strategies = {
      planned: repos.history,
      terms: new HistoryRepository(db, { lexemeShares: async () => new Map() }),
      walk: new HistoryRepository(db, { lexemeShares: everyWordCommon }),
      // The newest conversation holds no penguin: a one-conversation walk finds no page and the term index takes over.
      narrowWalk: new HistoryRepository(db, { lexemeShares: everyWordCommon, walkWindow: 1 }),
    };
    const pages = async (repo: HistoryRepository, q: string, limit: number, range?: { from: Date; to: Date }) => {
      const out: string[][] = [];
      let after: KeysetPosition | undefined;
      for (;;) {
        const page = await repo.list({ userId, limit, q, after, ...range });
        out.push(page.rows.map((r) => `${r.id} ${r.headline}`));
        if (!page.hasMore) return out;
        after = page.rows.at(-1)!.position;
      }
    };
    const penguins = [ids[5], ids[3], ids[1]];
    const range = { from: new Date(Date.UTC(2025, 0, 2)), to: new Date(Date.UTC(2025, 0, 5)) };
    for (const repo of Object.values(strategies)) {
      const found = await pages(repo, 'penguin', 2);
      expect(found.flat().map((r) => r.split(' ')[0])).toEqual(penguins);
      expect(found.map((p) => p.length)).toEqual([2, 1]);
      expect(found[0]![0]).toContain(`${HIGHLIGHT_START}penguin${HIGHLIGHT_STOP}`);
      expect(await pages(repo, 'Middle penguin', 10)).toEqual(await pages(strategies.planned, 'middle penguin', 10));
      expect(await pages(repo, 'hello penguin', 10)).toEqual([[]]);
      expect(await pages(repo, 'walrus', 10, range)).toEqual([[expect.stringContaining(ids[2]!)]]);
      expect(await pages(repo, 'zeppelin', 10)).toEqual([[]]);
    }
  });

  it("reads the lexemes' shares from Postgres's statistics once analysed", async () => {
    await db.raw('ANALYZE utterances');
    const shares = await lexemeSharesFromStatistics(db);
    // 'hello' is in 7 of the 22 turns, 'penguin' in 4.
    expect(shares.get('hello')).toBeCloseTo(7 / 22, 2);
    expect(shares.get('penguin')).toBeCloseTo(4 / 22, 2);
  });

  it('filters by date range', async () => {
    const page = await repos.history.list({
      userId,
      limit: 10,
      from: new Date(Date.UTC(2025, 0, 2)),
      to: new Date(Date.UTC(2025, 0, 4)),
    });
    expect(page.rows.map((r) => r.id)).toEqual([ids[2], ids[1]]);
  });

  it('purges expired conversations in batches', async () => {
    await db('users').where({ id: otherId }).update({ retention_days: 1 });
    for (let i = 0; i < 4; i++) await conversation(otherId, new Date(Date.UTC(2024, 0, 1 + i)), ['old']);
    expect(await repos.retention.purgeExpired(new Date(Date.UTC(2025, 5, 1)), 2)).toBe(5);
    expect(await db('conversations').where({ user_id: otherId }).first()).toBeUndefined();
    expect(await db('conversations').where({ user_id: userId }).count({ n: '*' }).first()).toEqual({ n: 7 });
  });
});
