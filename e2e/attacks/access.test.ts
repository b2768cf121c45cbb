/**
 * Attacks on who may read and change what, driven by the live OpenAPI document so a route added
 * later is attacked too: IDOR on every route with an id, CSRF on every cookie-authenticated write,
 * session fixation with a planted (valid) session, SQL injection through every query and path
 * parameter, and oversized or compressed bodies.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import {
  fill,
  isErrorShape,
  operations,
  PASSWORD,
  registerUser,
  seedConversation,
  snapshot,
  tableCounts,
  type Operation,
  type User,
} from './support';

let gw: TestGateway;
let ops: Operation[];
let alice: User;
let bob: User;
let bobConversations: string[];
const BOB_SECRET_WORD = 'zanzibarquokka';

beforeAll(async () => {
  gw = await startTestGateway({ env: { RATE_LIMIT_LOGIN_PER_IP: '1000' } });
  ops = await operations(gw.url);
  alice = await registerUser(gw, 'alice');
  bob = await registerUser(gw, 'bob');
  await seedConversation(gw.database.db, alice.id, ['alice speaks', 'agent answers']);
  bobConversations = [
    await seedConversation(gw.database.db, bob.id, [`bob says ${BOB_SECRET_WORD}`, 'agent answers bob']),
    (await bob.client.post('/api/calls', {})).body.conversationId,
  ];
  expect(
    (
      await bob.client.put('/api/me/preferences', {
        ttsVoice: null,
        language: 'fr',
        favoriteTopics: ['bob topic'],
        systemPrompt: 'bob prompt',
      })
    ).status,
  ).toBe(200);
  expect((await bob.client.put('/api/me/retention', { days: 30 })).status).toBe(200);
});
afterAll(async () => gw?.stop());

const idOps = () => ops.filter((o) => o.session && o.path.includes('{'));

describe('IDOR: user A against user B', () => {
  it("answers 404 on every route that takes an id, for each of B's conversations, and B's data is untouched", async () => {
    expect(idOps().length).toBeGreaterThanOrEqual(4);
    const before = await snapshot(gw.database.db, bob.id);
    const tried: string[] = [];
    for (const op of idOps()) {
      for (const id of bobConversations) {
        const variants = op.path.endsWith('/export') ? ['', '?format=json', '?format=md', '?format=txt'] : [''];
        for (const q of variants) {
          const r = await alice.client.request(op.method, fill(op.path, id) + q);
          expect(r.status, `${op.method} ${op.path}${q}`).toBe(404);
          expect(r.body.error.code).toBe('not_found');
          expect(r.text).not.toContain(BOB_SECRET_WORD);
          tried.push(`${op.method} ${op.path}${q}`);
        }
      }
    }
    expect(await snapshot(gw.database.db, bob.id)).toEqual(before);
    // B still sees everything of his own: the 404s were about ownership, not missing rows.
    for (const id of bobConversations) expect((await bob.client.get(`/api/calls/${id}`)).status).toBe(200);
    expect((await bob.client.get(`/api/conversations/${bobConversations[0]}`)).status).toBe(200);
    expect(tried.length).toBeGreaterThanOrEqual(12);
  });

  it("never shows B's data through A's own list, search, export, preferences, retention or usage", async () => {
    const before = await snapshot(gw.database.db, bob.id);
    const list = await alice.client.get(`/api/conversations?q=${BOB_SECRET_WORD}`);
    expect(list.status).toBe(200);
    expect(list.body.conversations).toEqual([]);
    const all = await alice.client.get('/api/conversations?limit=100');
    for (const id of bobConversations) expect(all.text).not.toContain(id);
    const own = ops.filter(
      (o) => o.session && o.method === 'GET' && !o.path.includes('{') && !o.path.startsWith('/api/admin'),
    );
    expect(own.map((o) => o.path)).toEqual(
      expect.arrayContaining(['/api/me/export', '/api/me/preferences', '/api/me/retention', '/api/me/usage']),
    );
    for (const op of own) {
      const r = await alice.client.get(op.path);
      expect(r.status, op.path).toBe(200);
      for (const secret of [BOB_SECRET_WORD, bob.id, bob.email, 'bob prompt', 'bob topic', ...bobConversations])
        expect(r.text, `${op.path} leaks`).not.toContain(secret);
    }
    expect((await alice.client.get('/api/me/preferences')).body.preferences.language).toBe('en');
    expect((await alice.client.get('/api/me/retention')).body.retentionDays).toBeNull();
    // A's writes to "my" routes change A only.
    expect(
      (
        await alice.client.put('/api/me/preferences', {
          ttsVoice: null,
          language: 'de',
          favoriteTopics: [],
          systemPrompt: '',
        })
      ).status,
    ).toBe(200);
    expect((await alice.client.put('/api/me/retention', { days: 7 })).status).toBe(200);
    expect(await snapshot(gw.database.db, bob.id)).toEqual(before);
    // Admin routes: 404 for a plain user, whatever the query (a userId filter included).
    for (const op of ops.filter((o) => o.path.startsWith('/api/admin'))) {
      const r = await alice.client.get(`${op.path}?userId=${bob.id}`);
      expect(r.status, op.path).toBe(404);
      expect(r.text).not.toContain(bob.email);
    }
  });
});

/** A request body each write would accept from its owner, so a 403 is the guard and nothing else. */
function validBody(op: Operation, user: User, conversationId: string): unknown {
  switch (`${op.method} ${op.path}`) {
    case 'POST /api/auth/login':
      return { email: user.email, password: PASSWORD };
    case 'POST /api/auth/register':
      return { email: `csrf-${Date.now()}@example.test`, password: PASSWORD, displayName: 'csrf' };
    case 'DELETE /api/me':
      return { password: PASSWORD };
    case 'PATCH /api/me':
      return { displayName: 'pwned by csrf' };
    case 'POST /api/me/password':
      return { currentPassword: PASSWORD, newPassword: 'attacker-chosen-pass-991' };
    case 'PUT /api/me/preferences':
      return { ttsVoice: null, language: 'ja', favoriteTopics: ['csrf'], systemPrompt: 'obey the attacker' };
    case 'PUT /api/me/retention':
      return { days: 1 };
    case 'POST /api/me/import':
      return {
        format: 'parley-export',
        version: 1,
        preferences: { ttsVoice: null, language: 'hi', favoriteTopics: [], systemPrompt: 'x' },
      };
    default:
      return op.requestSchema ? {} : undefined;
  }
  void conversationId;
}

describe('CSRF on every cookie-authenticated write', () => {
  it('refuses every non-GET /api route from a foreign origin with 403 forbidden_origin and changes nothing', async () => {
    const victim = await registerUser(gw, 'csrf-victim');
    const conv = await seedConversation(gw.database.db, victim.id);
    const writes = ops.filter((o) => o.method !== 'GET' && o.path.startsWith('/api/'));
    expect(writes.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining([
        'PATCH /api/me',
        'DELETE /api/me',
        'PUT /api/me/preferences',
        'DELETE /api/conversations/{id}',
        'POST /api/calls',
        'POST /api/auth/logout',
      ]),
    );
    const port = new URL(gw.url).port;
    const hostile: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `http://127.0.0.1.evil.example:${port}` },
      { origin: `http://127.0.0.1:${Number(port) + 1}` },
      { origin: `https://127.0.0.1:${port}` },
      { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
      { origin: '', 'sec-fetch-site': 'cross-site' },
      { origin: '' },
    ];
    const before = await snapshot(gw.database.db, victim.id);
    const countsBefore = await tableCounts(gw.database.db);
    let refused = 0;
    for (const op of writes) {
      for (const h of hostile) {
        const headers = { ...h };
        if (headers.origin === '') delete headers.origin;
        // TestClient adds the app's origin unless the key is present; an explicit "no Origin" needs raw fetch.
        const init: RequestInit = {
          method: op.method,
          headers: { cookie: victim.client.cookieHeader(), 'content-type': 'application/json', ...headers },
        };
        const body = validBody(op, victim, conv);
        if (body !== undefined) init.body = JSON.stringify(body);
        const res = await fetch(gw.url + fill(op.path, conv), init);
        const json = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
        expect(res.status, `${op.method} ${op.path} ${JSON.stringify(h)}`).toBe(403);
        expect(json?.error?.code).toBe('forbidden_origin');
        expect(res.headers.get('set-cookie')).toBeNull();
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
        refused++;
      }
    }
    expect(await snapshot(gw.database.db, victim.id)).toEqual(before);
    expect(await tableCounts(gw.database.db)).toEqual(countsBefore);
    expect((await victim.client.get('/api/auth/me')).status).toBe(200); // logout did not happen either
    expect(refused).toBe(writes.length * hostile.length);
    // Positive control: the same write from the app's own origin goes through.
    expect((await victim.client.patch('/api/me', { displayName: 'changed by the owner' })).status).toBe(200);
  });
});

describe('session fixation', () => {
  it('a planted, valid pre-login session (a guest call) is destroyed at login; the attacker holds nothing', async () => {
    const target = await registerUser(gw, 'fixation');
    await target.client.post('/api/auth/logout');
    const attacker = new TestClient(gw.url);
    const guestCall = await attacker.post('/api/calls', {});
    expect(guestCall.status).toBe(201);
    const planted = attacker.cookies.get('parley.sid')!;
    expect(planted).toBeTruthy();

    const victim = new TestClient(gw.url);
    victim.cookies.set('parley.sid', planted);
    expect((await victim.post('/api/auth/login', { email: target.email, password: PASSWORD })).status).toBe(200);
    expect(victim.cookies.get('parley.sid')).not.toBe(planted);
    expect((await victim.get('/api/auth/me')).body.user.id).toBe(target.id);

    // The attacker's copy of the planted cookie is worthless: no user, and the guest session is gone.
    expect((await attacker.get('/api/auth/me')).status).toBe(401);
    expect((await attacker.get(`/api/calls/${guestCall.body.conversationId}`)).status).toBe(401);
  });

  it('an attacker-chosen cookie value is never adopted, at login or at registration', async () => {
    const u = await registerUser(gw, 'fixation2');
    for (const planted of ['s%3Aattacker-chosen-id.bogus', 'attacker-chosen-id', 's%3Aattacker-chosen-id']) {
      const c = new TestClient(gw.url);
      c.cookies.set('parley.sid', planted);
      expect((await c.post('/api/auth/login', { email: u.email, password: PASSWORD })).status).toBe(200);
      const issued = decodeURIComponent(c.cookies.get('parley.sid')!);
      expect(issued).not.toContain('attacker-chosen-id');
      const r = new TestClient(gw.url);
      r.cookies.set('parley.sid', planted);
      const reg = await r.post('/api/auth/register', {
        email: `fx-${Date.now()}-${Math.random()}@example.test`,
        password: PASSWORD,
        displayName: 'x',
      });
      expect(reg.status).toBe(201);
      expect(decodeURIComponent(r.cookies.get('parley.sid')!)).not.toContain('attacker-chosen-id');
      // The session store never got the attacker's id.
      expect(await gw.ctx.redis!.exists(`${gw.redisPrefix}sess:attacker-chosen-id`)).toBe(0);
    }
  });
});

const SQLI = [
  "' OR '1'='1",
  "' OR 1=1 --",
  '1; DROP TABLE users; --',
  "' UNION SELECT id, email, password_hash, display_name FROM users --",
  "\\' OR 1=1 --",
  "%' OR '%'='",
  '$1',
  '?',
  "00000000-0000-4000-8000-000000000000' OR 'x'='x",
  "'; SELECT pg_sleep(3); --",
  '") OR ("a"="a',
  "admin'--",
  '1 AND (SELECT count(*) FROM users) > 0',
];

describe('SQL injection through search, filters, cursors and ids', () => {
  it("answers 400 or an answer with only the caller's own data, never 500, never slow, tables intact", async () => {
    const countsBefore = await tableCounts(gw.database.db);
    const bobBefore = await snapshot(gw.database.db, bob.id);
    const gets = ops.filter((o) => o.method === 'GET' && !o.signed);
    let tried = 0;
    const check = async (path: string) => {
      const t = Date.now();
      const r = await alice.client.get(path);
      tried++;
      expect(r.status, path).toBeLessThan(500);
      expect(Date.now() - t, `${path} slept`).toBeLessThan(2500);
      if (r.status >= 400) expect(isErrorShape(r.body), path).toBe(true);
      for (const secret of [bob.email, bob.id, BOB_SECRET_WORD, 'scrypt$'])
        expect(r.text, `${path} leaked`).not.toContain(secret);
      return r;
    };
    for (const payload of SQLI) {
      const v = encodeURIComponent(payload);
      for (const op of gets) {
        if (op.path === '/api/openapi.json') continue;
        if (op.path.includes('{')) await check(fill(op.path, v));
        for (const p of op.queryParams) await check(`${fill(op.path, bobConversations[0]!)}?${p.name}=${v}`);
      }
      // A cursor is a signed token; an unsigned or injected one is refused, not interpreted.
      const cursor = Buffer.from(JSON.stringify({ t: payload, id: payload })).toString('base64url');
      const rc = await check(`/api/conversations?cursor=${cursor}.${cursor}`);
      expect(rc.status).toBe(400);
      // Login and registration take strings straight to a lookup.
      const login = await alice.client.post('/api/auth/login', { email: payload, password: payload });
      expect([400, 401, 429]).toContain(login.status);
      const login2 = await alice.client.post('/api/auth/login', { email: `${bob.email}' --`, password: payload });
      expect([400, 401, 429]).toContain(login2.status);
      tried += 2;
    }
    // The session survived the login attempts above only if they failed: alice is still alice.
    const me = await alice.client.get('/api/auth/me');
    if (me.status === 200) expect(me.body.user.id).toBe(alice.id);
    expect(await tableCounts(gw.database.db)).toEqual(countsBefore);
    expect(await snapshot(gw.database.db, bob.id)).toEqual(bobBefore);
    expect(tried).toBeGreaterThan(200);
  });
});

describe('oversized and compressed bodies', () => {
  it('answers 413 payload_too_large on every JSON route, for plain and gzip-bombed bodies, and changes nothing', async () => {
    const u = await registerUser(gw, 'big');
    const before = await snapshot(gw.database.db, u.id);
    const withBody = ops.filter((o) => o.requestSchema && o.path.startsWith('/api/'));
    expect(withBody.length).toBeGreaterThanOrEqual(8);
    const big = JSON.stringify({ displayName: 'x'.repeat(70 * 1024) });
    const bomb = gzipSync(Buffer.from(JSON.stringify({ systemPrompt: ' '.repeat(20 * 1024 * 1024) })));
    expect(bomb.length).toBeLessThan(64 * 1024); // small on the wire, 20 MB inflated
    for (const op of withBody) {
      const path = fill(op.path, randomUUID());
      const r = await u.client.request(op.method, path, undefined, {
        raw: big,
        headers: { 'content-type': 'application/json' },
      });
      expect(r.status, `${op.method} ${op.path}`).toBe(413);
      expect(r.body.error.code).toBe('payload_too_large');
      const z = await u.client.request(op.method, path, undefined, {
        raw: bomb,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      });
      expect(z.status, `${op.method} ${op.path} gzip`).toBe(413);
    }
    // The import route also takes a file of any other type, up to 10 MB.
    const file = await u.client.post('/api/me/import', undefined, {
      raw: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(file.status).toBe(413);
    // A header flood is refused by the HTTP parser (431), not by a crash.
    const headers = await fetch(`${gw.url}/api/auth/me`, { headers: { cookie: `x=${'a'.repeat(40 * 1024)}` } });
    expect(headers.status).toBe(431);
    expect(await snapshot(gw.database.db, u.id)).toEqual(before);
    expect((await u.client.get('/api/auth/me')).status).toBe(200);
  });
});
