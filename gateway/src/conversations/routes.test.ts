import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { parsers } from './export-formats';
import { HISTORY_TEST_ENV, registerUser, seedConversation, type TestUser } from '@parley/testkit/history';

describe('transcript history API', () => {
  let gw: TestGateway;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    gw = await startTestGateway({ env: HISTORY_TEST_ENV });
    [alice, bob] = await Promise.all([registerUser(gw, 'alice'), registerUser(gw, 'bob')]);
  });
  afterAll(async () => gw?.stop());

  it('pages newest first without gaps or repeats while new conversations arrive', async () => {
    const u = await registerUser(gw, 'pager');
    const t0 = Date.parse('2025-03-01T10:00:00Z');
    const seeded: string[] = [];
    // Some share a created_at, so the id breaks ties.
    for (let i = 0; i < 23; i++)
      seeded.push(
        await seedConversation(gw.database.db, u.id, { createdAt: new Date(t0 + Math.floor(i / 2) * 60_000) }),
      );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: any = await u.client.get(
        `/api/conversations?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(r.status).toBe(200);
      seen.push(...r.body.conversations.map((i: { id: string }) => i.id));
      cursor = r.body.nextCursor;
      // A new call lands between page fetches (newer than everything listed).
      await seedConversation(gw.database.db, u.id, { createdAt: new Date() });
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(seeded));
    // Newest first: created_at non-increasing along the walk.
    const rows = await gw.database.db('conversations').whereIn('id', seen).select('id', 'created_at');
    const at = new Map(rows.map((r) => [r.id, new Date(r.created_at).getTime()]));
    for (let i = 1; i < seen.length; i++) expect(at.get(seen[i]!)!).toBeLessThanOrEqual(at.get(seen[i - 1]!)!);
  });

  it('lists title, times, duration, turn count and a snippet, falling back to the first user words for a title', async () => {
    const u = await registerUser(gw, 'lister');
    const started = new Date('2025-04-02T09:00:00Z');
    await seedConversation(gw.database.db, u.id, {
      createdAt: started,
      turns: [
        { role: 'agent', text: 'Welcome back.' },
        {
          role: 'user',
          text: 'Could you help me plan a weekend trip to the mountains with my two dogs and a tent please',
        },
      ],
    });
    const r = await u.client.get('/api/conversations');
    expect(r.body.nextCursor).toBeNull();
    const [item] = r.body.conversations;
    expect(item).toMatchObject({
      createdAt: '2025-04-02T09:00:00.000Z',
      startedAt: '2025-04-02T09:00:00.000Z',
      endedAt: '2025-04-02T09:00:05.000Z',
      durationMs: 5000,
      turnCount: 2,
      highlights: [],
    });
    expect(item.title.length).toBeLessThanOrEqual(60);
    expect(item.title).toMatch(/^Could you help me plan a weekend trip/);
    expect(item.snippet).toMatch(/^Could you help me plan/);
  });

  it('finds a word from the middle of a conversation and marks it, with escaped HTML', async () => {
    const u = await registerUser(gw, 'searcher');
    const turns = Array.from({ length: 30 }, (_, i) => ({
      role: (i % 2 ? 'agent' : 'user') as 'user' | 'agent',
      text: `ordinary filler sentence number ${i}`,
    }));
    turns[15] = { role: 'agent', text: 'The <b>aurora</b> borealis & the northern lights are best in March' };
    const target = await seedConversation(gw.database.db, u.id, { turns });
    await seedConversation(gw.database.db, u.id, { turns: [{ role: 'user', text: 'nothing relevant here' }] });
    // Another user's identical word never shows up.
    await seedConversation(gw.database.db, bob.id, { turns: [{ role: 'user', text: 'aurora for bob' }] });

    const r = await u.client.get(`/api/conversations?q=${encodeURIComponent('Aurora')}`);
    expect(r.status).toBe(200);
    expect(r.body.conversations.map((i: { id: string }) => i.id)).toEqual([target]);
    const hit = r.body.conversations[0];
    const marked = hit.highlights.map(([s, e]: [number, number]) => hit.snippet.slice(s, e));
    expect(marked).toEqual(['aurora']);
    expect(hit.snippetHtml).toContain('<mark>aurora</mark>');
    expect(hit.snippetHtml).not.toMatch(/<(?!\/?mark>)/); // no markup but <mark>
    expect(hit.snippetHtml).toContain('&amp;');

    // Two words (AND), a quoted phrase, and a miss.
    expect((await u.client.get('/api/conversations?q=northern%20March')).body.conversations).toHaveLength(1);
    expect((await u.client.get('/api/conversations?q=%22northern%20lights%22')).body.conversations).toHaveLength(1);
    expect((await u.client.get('/api/conversations?q=%22lights%20northern%22')).body.conversations).toHaveLength(0);
    expect((await u.client.get('/api/conversations?q=zeppelin')).body.conversations).toEqual([]);
  });

  it('filters by date range (a bare `to` date includes that whole day)', async () => {
    const u = await registerUser(gw, 'dated');
    const ids = [];
    for (const d of ['2025-01-10T12:00:00Z', '2025-01-20T23:59:00Z', '2025-01-21T00:00:00Z'])
      ids.push(await seedConversation(gw.database.db, u.id, { createdAt: new Date(d) }));
    const r = await u.client.get('/api/conversations?from=2025-01-15&to=2025-01-20');
    expect(r.body.conversations.map((i: { id: string }) => i.id)).toEqual([ids[1]]);
    const r2 = await u.client.get(`/api/conversations?from=${encodeURIComponent('2025-01-10T12:00:00Z')}`);
    expect(r2.body.conversations).toHaveLength(3);
  });

  it('refuses bad cursors, dates, limits and odd queries with 400 or an empty list, never 500', async () => {
    const c = alice.client;
    const before = await gw.database.db('conversations').count({ n: '*' }).first();
    await seedConversation(gw.database.db, alice.id, {});
    await seedConversation(gw.database.db, alice.id, {});
    const first = await c.get('/api/conversations?limit=1');
    const good = first.body.nextCursor as string;
    const [body, sig] = good.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...payload, t: '1999-01-01T00:00:00.000000Z' })).toString('base64url')}.${sig}`;
    const bad400 = [
      'cursor=garbage',
      'cursor=' + encodeURIComponent(forged),
      'cursor=' + encodeURIComponent(`${body}.${'A'.repeat(22)}`),
      'cursor=' + encodeURIComponent(good) + '&q=other', // a cursor is bound to its filters
      'cursor=' + 'x'.repeat(5000),
      'limit=0',
      'limit=1000',
      'limit=abc',
      'limit=1&limit=2',
      'from=yesterday',
      'from=2025-02-30',
      'to=99999-01-01',
      'from=2025-02-01&to=2025-01-01',
      'q=' + encodeURIComponent('nul\u0000byte'),
      'q=' + 'a'.repeat(300),
      'unknown=1',
    ];
    for (const qs of bad400) {
      const r = await c.get(`/api/conversations?${qs}`);
      expect(r.status, qs).toBe(400);
      expect(r.body.error.code, qs).toBe('validation_failed');
    }
    const odd = [
      "' OR 1=1 --",
      '"; DROP TABLE conversations; --',
      '!!! ||| &&& <-> :* ()',
      '"unterminated',
      'a:*',
      '-',
      '\\',
      '%',
      '🙂',
    ];
    for (const q of odd) {
      const r = await c.get(`/api/conversations?q=${encodeURIComponent(q)}`);
      expect(r.status, q).toBe(200);
      expect(Array.isArray(r.body.conversations), q).toBe(true);
    }
    const after = await gw.database.db('conversations').count({ n: '*' }).first();
    expect(Number(after!.n)).toBe(Number(before!.n) + 2);
  });

  it('returns one conversation with its turns and metrics in order', async () => {
    const metrics = {
      endOfUtteranceDelayMs: 200,
      transcriptionDelayMs: 50,
      llmTtftMs: 300,
      ttsTtfbMs: 120,
      e2eLatencyMs: 700,
    };
    const id = await seedConversation(gw.database.db, alice.id, {
      title: 'Trip planning',
      turns: [
        { role: 'user', text: 'first' },
        { role: 'agent', text: 'second', metrics, interrupted: true },
        { role: 'user', text: 'third' },
      ],
    });
    const r = await alice.client.get(`/api/conversations/${id}`);
    expect(r.status).toBe(200);
    expect(r.body.conversation).toMatchObject({ id, title: 'Trip planning', status: 'ended', turnCount: 3 });
    expect(r.body.utterances.map((u: { seq: number; text: string }) => [u.seq, u.text])).toEqual([
      [0, 'first'],
      [1, 'second'],
      [2, 'third'],
    ]);
    expect(r.body.utterances[1]).toMatchObject({ role: 'agent', interrupted: true, metrics });
  });

  it('pages a transcript by seq: the pages join into every turn, in order, once', async () => {
    const turns = Array.from({ length: 7 }, (_, i) => ({
      role: i < 3 ? ('agent' as const) : i % 2 ? ('agent' as const) : ('user' as const),
      text: `turn ${i}`,
    }));
    // Untitled, and its first user turn (seq 4) is not on the first page of three.
    const id = await seedConversation(gw.database.db, alice.id, { turns });
    const whole = await alice.client.get(`/api/conversations/${id}`);
    expect(whole.body.nextSeq).toBeNull();
    expect(whole.body.utterances).toHaveLength(7);
    const pages = [];
    let afterSeq: number | null | undefined;
    do {
      const r = await alice.client.get(
        `/api/conversations/${id}?limit=3${afterSeq === undefined ? '' : `&afterSeq=${afterSeq}`}`,
      );
      expect(r.status).toBe(200);
      expect(r.body.conversation).toEqual(whole.body.conversation);
      pages.push(r.body.utterances.map((u: { seq: number }) => u.seq));
      afterSeq = r.body.nextSeq;
    } while (afterSeq !== null);
    expect(pages).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(whole.body.conversation.title).toBe('turn 4');
    // A page that ends exactly at the last turn says so.
    expect((await alice.client.get(`/api/conversations/${id}?limit=7`)).body.nextSeq).toBeNull();
    expect((await alice.client.get(`/api/conversations/${id}?limit=6`)).body.nextSeq).toBe(5);
    for (const qs of ['limit=0', 'limit=501', 'afterSeq=x', 'limit=2&after=1'])
      expect((await alice.client.get(`/api/conversations/${id}?${qs}`)).status, qs).toBe(400);
    expect((await bob.client.get(`/api/conversations/${id}?limit=3`)).status).toBe(404);
  });

  it('exports every format as an attachment that parses back into the same turns', async () => {
    const turns = [
      { role: 'user' as const, text: 'Plain words.' },
      { role: 'user' as const, text: 'Biscuit, B-I-S-C-U-I-T (typed)', typed: true },
      {
        role: 'agent' as const,
        text: 'Markdown *stars*, _under_, `code`, # hash, [link](x), <b>tag</b>, back\\slash and | pipe',
        interrupted: true,
      },
      { role: 'user' as const, text: 'Two\nlines\n\n  indented after a blank line' },
      { role: 'agent' as const, text: '> not a quote\n### You · 0:01\n[0:02] Parley: fake header' },
      { role: 'user' as const, text: '' },
    ];
    const id = await seedConversation(gw.database.db, alice.id, { title: 'Round # trip', turns });
    const expected = turns.map((t) => ({
      role: t.role,
      text: t.text,
      typed: t.typed ?? false,
      interrupted: t.interrupted ?? false,
    }));
    for (const format of ['json', 'md', 'txt'] as const) {
      const r = await alice.client.get(`/api/conversations/${id}/export?format=${format}`);
      expect(r.status, format).toBe(200);
      expect(r.headers.get('content-disposition'), format).toMatch(
        new RegExp(`^attachment; filename="parley-\\d{4}-\\d{2}-\\d{2}-${id.slice(0, 8)}\\.${format}"$`),
      );
      expect(parsers[format](r.text), format).toEqual(expected);
    }
    expect((await alice.client.get(`/api/conversations/${id}/export?format=pdf`)).status).toBe(400);
  });

  it("gives user A a 404 for every one of user B's conversations, and for unknown ids", async () => {
    const bobs = await seedConversation(gw.database.db, bob.id, { turns: [{ role: 'user', text: 'secret plans' }] });
    const paths = [
      `/api/conversations/${bobs}`,
      `/api/conversations/${bobs}/export?format=json`,
      `/api/conversations/${bobs}/export?format=md`,
    ];
    for (const p of paths) {
      const r = await alice.client.get(p);
      expect(r.status, p).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
    expect((await alice.client.delete(`/api/conversations/${bobs}`)).status).toBe(404);
    expect((await alice.client.get('/api/conversations?q=secret')).body.conversations).toEqual([]);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1' OR '1'='1"]) {
      expect((await alice.client.get(`/api/conversations/${encodeURIComponent(id)}`)).status, id).toBe(404);
      expect((await alice.client.delete(`/api/conversations/${encodeURIComponent(id)}`)).status, id).toBe(404);
    }
    // Bob's conversation is untouched and still his.
    expect((await bob.client.get(`/api/conversations/${bobs}`)).status).toBe(200);
  });

  it('deletes a conversation and its turns', async () => {
    const id = await seedConversation(gw.database.db, alice.id, {});
    expect((await alice.client.delete(`/api/conversations/${id}`)).status).toBe(204);
    expect((await alice.client.get(`/api/conversations/${id}`)).status).toBe(404);
    expect(await gw.database.db('utterances').where({ conversation_id: id }).first()).toBeUndefined();
    expect((await alice.client.delete(`/api/conversations/${id}`)).status).toBe(404);
  });

  it('requires a signed-in user', async () => {
    const anon = new TestClient(gw.url);
    expect((await anon.get('/api/conversations')).status).toBe(401);
    expect((await anon.get('/api/conversations/00000000-0000-4000-8000-000000000000')).status).toBe(401);
  });

  it('never writes search terms or transcript text into the logs', () => {
    expect(gw.logs.text).not.toContain('aurora');
    expect(gw.logs.text).not.toContain('secret plans');
  });
});
