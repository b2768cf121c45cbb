import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_MAX_BYTES, LIMITS } from '@parley/protocol';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { HISTORY_TEST_ENV, registerUser, seedConversation, type TestUser } from '@parley/testkit/history';
import { SESSION_COOKIE } from '../sessions/session';

/** Valid for the local (espeak-ng) voice catalogue these gateways run with. */
const PREFS = {
  ttsVoice: 'fr',
  language: 'fr',
  favoriteTopics: ['jazz', 'chess'],
  systemPrompt: 'Be brief.',
  memory: true,
};

describe('own your data', () => {
  let gw: TestGateway;
  let carol: TestUser;
  beforeAll(async () => {
    gw = await startTestGateway({ env: HISTORY_TEST_ENV });
    carol = await registerUser(gw, 'carol');
  });
  afterAll(async () => gw?.stop());

  async function storedPrefs(userId: string) {
    return gw.database
      .db('user_preferences')
      .where({ user_id: userId })
      .first('tts_voice', 'language', 'favorite_topics', 'system_prompt', 'memory');
  }

  it('exports profile, preferences and every conversation with its turns as versioned JSON', async () => {
    await gw.database.db('user_preferences').insert({
      user_id: carol.id,
      tts_voice: 'nova',
      language: 'de',
      favorite_topics: JSON.stringify(['go']),
      system_prompt: 'Hi',
    });
    const a = await seedConversation(gw.database.db, carol.id, {
      createdAt: new Date('2025-01-01T00:00:00Z'),
      turns: [{ role: 'user', text: 'one' }],
    });
    const b = await seedConversation(gw.database.db, carol.id, {
      createdAt: new Date('2025-01-02T00:00:00Z'),
      turns: [
        { role: 'user', text: 'two' },
        { role: 'agent', text: 'three' },
      ],
    });
    const r = await carol.client.get('/api/me/export');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toMatch(
      /^attachment; filename="parley-export-\d{4}-\d{2}-\d{2}\.json"$/,
    );
    expect(r.body).toMatchObject({
      format: 'parley-export',
      version: 1,
      profile: { id: carol.id, email: carol.email, displayName: 'carol', retentionDays: null },
      preferences: { ttsVoice: 'nova', language: 'de', favoriteTopics: ['go'], systemPrompt: 'Hi' },
    });
    expect(Date.parse(r.body.exportedAt)).not.toBeNaN();
    expect(r.body.conversations.map((c: { id: string }) => c.id)).toEqual([b, a]);
    expect(r.body.conversations[0].utterances.map((u: { text: string }) => u.text)).toEqual(['two', 'three']);
    expect(r.text).not.toMatch(/password|scrypt\$|argon2/i);
  });

  it('imports preferences from an export file, sent as JSON or as a file', async () => {
    const u = await registerUser(gw, 'importer');
    const file = (await u.client.get('/api/me/export')).body;
    const r = await u.client.post('/api/me/import', { ...file, preferences: PREFS });
    expect(r.status).toBe(200);
    expect(r.body.preferences).toEqual(PREFS);
    expect(await storedPrefs(u.id)).toEqual({
      tts_voice: 'fr',
      language: 'fr',
      favorite_topics: ['jazz', 'chess'],
      system_prompt: 'Be brief.',
      memory: true,
    });

    // A large export (conversations included) goes up as a file, beyond the 64 kB JSON limit.
    const big = {
      ...file,
      preferences: { ...PREFS, language: 'es' },
      conversations: [{ id: 'x', utterances: [{ text: 'y'.repeat(200_000) }] }],
    };
    const f = await u.client.post('/api/me/import', undefined, {
      raw: JSON.stringify(big),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(f.status).toBe(200);
    expect((await storedPrefs(u.id))!.language).toBe('es');
  });

  it('refuses corrupt, foreign-version, invalid and oversized files and changes nothing', async () => {
    const u = await registerUser(gw, 'refused');
    const file = (await u.client.get('/api/me/export')).body;
    expect((await u.client.post('/api/me/import', { ...file, preferences: PREFS })).status).toBe(200);
    const before = await storedPrefs(u.id);
    const asFile = (raw: string | Buffer) =>
      u.client.post('/api/me/import', undefined, { raw, headers: { 'content-type': 'application/octet-stream' } });
    const cases: Array<[string, () => Promise<{ status: number; body: any }>, number, string]> = [
      ['truncated file', () => asFile(JSON.stringify(file).slice(0, 40)), 400, 'invalid_json'],
      ['binary garbage', () => asFile(Buffer.from([0xff, 0x00, 0x13, 0x37])), 400, 'invalid_json'],
      ['not an export', () => u.client.post('/api/me/import', [1, 2, 3]), 400, 'validation_failed'],
      [
        'version 2',
        () => u.client.post('/api/me/import', { ...file, version: 2, preferences: { ...PREFS, language: 'ja' } }),
        400,
        'unsupported_version',
      ],
      [
        'other format',
        () =>
          u.client.post('/api/me/import', {
            ...file,
            format: 'chatgpt-export',
            preferences: { ...PREFS, language: 'ja' },
          }),
        400,
        'unsupported_version',
      ],
      [
        'unknown language',
        () => u.client.post('/api/me/import', { ...file, preferences: { ...PREFS, language: 'xx' } }),
        400,
        'validation_failed',
      ],
      [
        'prompt too long',
        () => u.client.post('/api/me/import', { ...file, preferences: { ...PREFS, systemPrompt: 'p'.repeat(5000) } }),
        400,
        'validation_failed',
      ],
      [
        'missing preferences',
        () => u.client.post('/api/me/import', { format: 'parley-export', version: 1 }),
        400,
        'validation_failed',
      ],
      [
        'oversized JSON body',
        () => u.client.post('/api/me/import', { ...file, pad: 'p'.repeat(70_000) }),
        413,
        'payload_too_large',
      ],
      ['oversized file', () => asFile(Buffer.alloc(IMPORT_MAX_BYTES + 1024, 0x20)), 413, 'payload_too_large'],
    ];
    for (const [name, send, status, code] of cases) {
      const r = await send();
      expect(r.status, name).toBe(status);
      expect(r.body.error.code, name).toBe(code);
    }
    expect(await storedPrefs(u.id)).toEqual(before);
  });

  it('import and PUT /api/me/preferences answer the same error for the same bad preferences, and both are audited', async () => {
    const u = await registerUser(gw, 'twin');
    const file = (await u.client.get('/api/me/export')).body;
    const { systemPrompt: _omit, ...missingField } = PREFS;
    const bad: Array<[string, unknown]> = [
      ['voice the active provider does not offer', { ...PREFS, ttsVoice: 'alloy' }],
      ['unknown language', { ...PREFS, language: 'xx' }],
      ['prompt too long', { ...PREFS, systemPrompt: 'p'.repeat(LIMITS.systemPrompt + 1) }],
      ['unknown field', { ...PREFS, extra: true }],
      ['topics not a list', { ...PREFS, favoriteTopics: 'jazz' }],
      ['missing field', missingField],
    ];
    for (const [name, prefs] of bad) {
      const put = await u.client.put('/api/me/preferences', prefs);
      const imported = await u.client.post('/api/me/import', { ...file, preferences: prefs });
      expect(put.status, name).toBe(400);
      expect(put.body.error.code, name).toBe('validation_failed');
      expect(put.body.error.details.length, name).toBeGreaterThan(0);
      expect({ status: imported.status, body: imported.body }, name).toEqual({ status: put.status, body: put.body });
    }
    expect(await storedPrefs(u.id)).toBeUndefined();

    expect((await u.client.put('/api/me/preferences', { ...PREFS, language: 'de' })).status).toBe(200);
    expect((await u.client.post('/api/me/import', { ...file, preferences: PREFS })).status).toBe(200);
    const audit = (await gw.ctx.repos.audit.list(u.id)).filter((e) => e.type === 'preferences_change');
    expect(audit.map((e) => e.details)).toEqual([
      { fields: ['language'], source: 'import' },
      { fields: ['ttsVoice', 'language', 'favoriteTopics', 'systemPrompt', 'memory'] },
    ]);
  });

  it('deletes the account only with the right password, leaving no row of the user in any table', () =>
    deletesEverything(gw));
});

describe('account deletion with the single-process session store', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ redis: false, env: HISTORY_TEST_ENV });
  });
  afterAll(async () => gw?.stop());

  it("also removes the user's rows from the sessions table", async () => {
    await deletesEverything(gw, async (u) => {
      const n = await gw.database.db.raw(`SELECT count(*)::int AS n FROM sessions WHERE sess->>'userId' = ?`, [u.id]);
      expect(n.rows[0].n).toBe(2);
    });
  });
});

async function deletesEverything(gw: TestGateway, beforeDelete?: (u: TestUser) => Promise<void>) {
  const u = await registerUser(gw, 'leaver');
  const other = await registerUser(gw, 'stayer');
  const second = new TestClient(gw.url);
  expect((await second.post('/api/auth/login', { email: u.email, password: u.password })).status).toBe(200);
  await u.client.post('/api/me/import', { ...(await u.client.get('/api/me/export')).body, preferences: PREFS });
  await u.client.put('/api/me/retention', { days: 30 });
  for (let i = 0; i < 3; i++)
    await seedConversation(gw.database.db, u.id, {
      turns: [{ role: 'user', text: 'bye', metrics: { e2eLatencyMs: 500 } }],
    });
  const kept = await seedConversation(gw.database.db, other.id, {});

  const wrong = await u.client.request('DELETE', '/api/me', { password: 'not my password at all' });
  expect(wrong.status).toBe(403);
  expect(wrong.body.error.code).toBe('wrong_password');
  expect((await u.client.request('DELETE', '/api/me', {})).status).toBe(400);
  expect(await gw.database.db('users').where({ id: u.id }).first()).toBeTruthy();

  await beforeDelete?.(u);
  // Both sessions are in the store (Redis or the sessions table) until the account goes.
  const stored = promisify(gw.ctx.sessionStore.get.bind(gw.ctx.sessionStore));
  const sids = [sessionId(u.client), sessionId(second)];
  for (const sid of sids) expect(await stored(sid)).toMatchObject({ userId: u.id });
  const ok = await u.client.request('DELETE', '/api/me', { password: u.password });
  expect(ok.status).toBe(204);
  for (const sid of sids) expect(await stored(sid)).toBeFalsy();

  // Every table, every column that could name the user (user_id or any uuid/text/jsonb holding the id).
  const tables = (
    await gw.database.db.raw(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'knex_%'`,
    )
  ).rows.map((r: { table_name: string }) => r.table_name);
  expect(tables).toEqual(
    expect.arrayContaining(['users', 'user_preferences', 'audit_events', 'conversations', 'utterances', 'sessions']),
  );
  for (const table of tables) {
    const hits = await gw.database.db.raw(
      `SELECT count(*)::int AS n FROM ?? t WHERE t::text ILIKE ? OR t::text ILIKE ?`,
      [table, `%${u.id}%`, `%${u.email}%`],
    );
    expect(hits.rows[0].n, table).toBe(0);
  }
  // Both sessions are over; the other user is untouched.
  expect((await u.client.get('/api/auth/me')).status).toBe(401);
  expect((await second.get('/api/auth/me')).status).toBe(401);
  expect((await second.get('/api/conversations')).status).toBe(401);
  expect((await other.client.get(`/api/conversations/${kept}`)).status).toBe(200);
  // The server log records that a deletion happened, without naming the account.
  const line = gw.logs.lines.find((l) => l.includes('"account_deleted"'));
  expect(line).toBeDefined();
  expect(line).not.toContain(u.email);
}

/** The session id inside a client's signed cookie (s:<sid>.<signature>). */
function sessionId(c: TestClient): string {
  const m = /^s:([^.]+)\./.exec(decodeURIComponent(c.cookies.get(SESSION_COOKIE) ?? ''));
  if (!m) throw new Error('no session cookie');
  return m[1]!;
}
