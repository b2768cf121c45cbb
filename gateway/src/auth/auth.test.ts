import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { SESSION_COOKIE } from '../sessions/session';
import {
  LEGACY_PASSWORD,
  LEGACY_SCRYPT_HASHES,
  RecordingClient,
  registerUser,
  STRONG_PASSWORD,
  uniqueEmail,
} from '@parley/testkit/accounts';

describe('accounts and cookie sessions (Postgres + Redis)', () => {
  let gw: TestGateway;
  let gw2: TestGateway;
  const sessionIds: string[] = [];
  const passwords: string[] = [STRONG_PASSWORD];
  const client = () => new RecordingClient(gw.url);
  const remember = (c: RecordingClient) => {
    const sid = c.sessionId();
    if (sid) sessionIds.push(sid);
  };

  beforeAll(async () => {
    const env = { RATE_LIMIT_LOGIN_PER_ACCOUNT: '3', RATE_LIMIT_LOGIN_PER_IP: '500' };
    gw = await startTestGateway({ env });
    // A second gateway process on the same database and Redis prefix (shared rate-limit counters).
    gw2 = await startTestGateway({ env, database: gw.database, redisPrefix: gw.redisPrefix });
  });
  afterAll(async () => {
    await gw2?.stop();
    await gw?.stop();
  });

  it('registers (201 + HttpOnly, SameSite=Lax cookie), then me answers the user', async () => {
    const c = client();
    const email = uniqueEmail('reg');
    const r = await c.post('/api/auth/register', { email, password: STRONG_PASSWORD, displayName: 'Ada' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      user: { id: expect.any(String), email, displayName: 'Ada', role: 'user', emailVerified: false },
    });
    const setCookie = r.headers.getSetCookie().find((x) => x.startsWith(`${SESSION_COOKIE}=`))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i); // plain http here; see the https test below
    remember(c);
    // Idle expiry: the cookie's Expires and the Redis TTL both sit SESSION_IDLE_MINUTES ahead.
    const idleSeconds = gw.ctx.config.session.idleMs / 1000;
    const expires = Date.parse(/Expires=([^;]+)/i.exec(setCookie)![1]!);
    expect(Math.abs(expires - Date.now() - gw.ctx.config.session.idleMs)).toBeLessThan(10_000);
    const ttl = await gw.ctx.redis!.ttl(`${gw.redisPrefix}sess:${c.sessionId()}`);
    expect(ttl).toBeGreaterThan(idleSeconds - 10);
    expect(ttl).toBeLessThanOrEqual(idleSeconds);
    const me = await c.get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email, displayName: 'Ada' });
  });

  it('keeps an idle session alive while it is used: a request that changes nothing still renews its expiry', async () => {
    const c = client();
    const r = await c.post('/api/auth/register', {
      email: uniqueEmail('rolling'),
      password: STRONG_PASSWORD,
      displayName: 'Rolling',
    });
    expect(r.status).toBe(201);
    remember(c);
    const key = `${gw.redisPrefix}sess:${c.sessionId()}`;
    const idleSeconds = gw.ctx.config.session.idleMs / 1000;
    // As if the session had been idle for all but a minute of its lifetime.
    await gw.ctx.redis!.expire(key, 60);
    const me = await c.get('/api/auth/me');
    expect(me.status).toBe(200);
    // The renewal is sent before the answer is written, not awaited by it: read it from Redis.
    await expect.poll(() => gw.ctx.redis!.ttl(key), { timeout: 2000 }).toBeGreaterThan(idleSeconds - 10);
    expect(await gw.ctx.redis!.ttl(key)).toBeLessThanOrEqual(idleSeconds);
    expect((await c.get('/api/auth/me')).status).toBe(200);
  });

  it('marks the cookie Secure behind an HTTPS proxy (trust proxy)', async () => {
    const c = client();
    const r = await c.post(
      '/api/auth/register',
      { email: uniqueEmail('tls'), password: STRONG_PASSWORD, displayName: 'T' },
      { headers: { 'x-forwarded-proto': 'https', origin: gw.url.replace('http:', 'https:') } },
    );
    expect(r.status).toBe(201);
    expect(r.headers.getSetCookie().join('\n')).toMatch(/parley\.sid=.*Secure/i);
  });

  it('answers 401 to me without a session', async () => {
    const r = await client().get('/api/auth/me');
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthenticated');
  });

  it('refuses a duplicate email with 409, whatever its case', async () => {
    const c = client();
    const { email } = await registerUser(c);
    const r = await client().post('/api/auth/register', {
      email: email.toUpperCase(),
      password: STRONG_PASSWORD,
      displayName: 'x',
    });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('email_taken');
  });

  it('refuses weak passwords with 400 weak_password: short, common, containing the email', async () => {
    const email = uniqueEmail('weakling');
    for (const password of ['short1!', 'password123456', 'qwertyuiop', `${email.split('@')[0]}!X9z#`]) {
      passwords.push(password);
      const r = await client().post('/api/auth/register', { email, password, displayName: 'W' });
      expect(r.status, password).toBe(400);
      expect(r.body.error.code).toBe('weak_password');
      expect(r.body.error.details[0].path).toBe('password');
    }
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const { email } = await registerUser(client());
    passwords.push('Wrong-password-123!');
    const wrong = await client().post('/api/auth/login', { email, password: 'Wrong-password-123!' });
    const unknown = await client().post('/api/auth/login', {
      email: uniqueEmail('ghost'),
      password: 'Wrong-password-123!',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body).toEqual({ error: { code: 'invalid_credentials', message: 'Email or password is incorrect.' } });
    expect(wrong.headers.getSetCookie()).toEqual(unknown.headers.getSetCookie());
  });

  it('logs in (case-insensitive email) on a new session id: the cookie changes and the old id dies', async () => {
    const c = client();
    await registerUser(c);
    const other = await registerUser(client());
    remember(c);
    const before = c.cookies.get(SESSION_COOKIE)!;
    // Same browser, another login (e.g. a planted or shared session): the id must be replaced.
    const r = await c.post('/api/auth/login', { email: other.email.toUpperCase(), password: STRONG_PASSWORD });
    expect(r.status).toBe(200);
    expect(r.body.user.id).toBe(other.id);
    const after = c.cookies.get(SESSION_COOKIE);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    remember(c);
    expect((await c.get('/api/auth/me')).body.user.id).toBe(other.id);
    const old = new RecordingClient(gw.url);
    old.cookies.set(SESSION_COOKIE, before);
    expect((await old.get('/api/auth/me')).status).toBe(401);
  });

  it('signs in an account whose hash predates Argon2id, and re-hashes it to Argon2id on that sign-in only', async () => {
    const c = client();
    const { id, email } = await registerUser(c);
    const repo = gw.ctx.repos.users;
    expect(await repo.passwordHash(id)).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/); // new hashes: Argon2id
    // The row as the scrypt code left it (written through the repository, as a migration would find it).
    await repo.setPasswordHash(id, LEGACY_SCRYPT_HASHES.test);
    passwords.push(LEGACY_PASSWORD, `${LEGACY_PASSWORD}?`);
    // A wrong password is refused exactly like any other, and upgrades nothing.
    const wrong = await client().post('/api/auth/login', { email, password: `${LEGACY_PASSWORD}?` });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'invalid_credentials', message: 'Email or password is incorrect.' } });
    expect(await repo.passwordHash(id)).toBe(LEGACY_SCRYPT_HASHES.test);
    // The right one signs in and the stored hash changes format.
    const ok = await client().post('/api/auth/login', { email, password: LEGACY_PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(id);
    const upgraded = await repo.passwordHash(id);
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    // The new hash signs in, and a current hash is left as it is.
    const again = new RecordingClient(gw.url);
    expect((await again.post('/api/auth/login', { email, password: LEGACY_PASSWORD })).status).toBe(200);
    expect(await repo.passwordHash(id)).toBe(upgraded);
    expect((await again.get('/api/auth/me')).body.user.id).toBe(id);
    expect((await client().post('/api/auth/login', { email, password: STRONG_PASSWORD })).status).toBe(401);
  });

  it('logout answers 204, destroys the session server-side, and a replayed cookie is refused', async () => {
    const c = client();
    await registerUser(c);
    remember(c);
    const stolen = c.cookies.get(SESSION_COOKIE)!;
    const sid = c.sessionId()!;
    const out = await c.post('/api/auth/logout');
    expect(out.status).toBe(204);
    expect(c.cookies.has(SESSION_COOKIE)).toBe(false); // cleared in the browser
    expect(await gw.ctx.redis!.exists(`${gw.redisPrefix}sess:${sid}`)).toBe(0); // gone server-side
    const replay = new RecordingClient(gw.url);
    replay.cookies.set(SESSION_COOKIE, stolen);
    const me = await replay.get('/api/auth/me');
    expect(me.status).toBe(401);
    const write = await replay.put('/api/me/preferences', {
      ttsVoice: null,
      language: 'en',
      favoriteTopics: [],
      systemPrompt: '',
    });
    expect(write.status).toBe(401);
  });

  it('ends a session past its absolute lifetime even while it is in use', async () => {
    const c = client();
    await registerUser(c);
    const sid = c.sessionId()!;
    const key = `${gw.redisPrefix}sess:${sid}`;
    const stored = JSON.parse((await gw.ctx.redis!.get(key))!);
    stored.createdAt = Date.now() - gw.ctx.config.session.absoluteMs - 1000;
    await gw.ctx.redis!.set(key, JSON.stringify(stored), { KEEPTTL: true });
    expect((await c.get('/api/auth/me')).status).toBe(401);
    expect(await gw.ctx.redis!.exists(key)).toBe(0);
  });

  it('refuses a write from a foreign Origin with 403 forbidden_origin (and one with no origin information)', async () => {
    const c = client();
    await registerUser(c);
    const body = { ttsVoice: null, language: 'fr', favoriteTopics: [], systemPrompt: '' };
    const foreign = await c.put('/api/me/preferences', body, { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('forbidden_origin');
    const nullOrigin = await c.post('/api/auth/logout', undefined, { headers: { origin: 'null' } });
    expect(nullOrigin.status).toBe(403);
    const bare = new RecordingClient(gw.url, null);
    bare.cookies.set(SESSION_COOKIE, c.cookies.get(SESSION_COOKIE)!);
    expect((await bare.put('/api/me/preferences', body)).status).toBe(403);
    const crossSite = await bare.put('/api/me/preferences', body, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    const sameSite = await bare.put('/api/me/preferences', body, { headers: { 'sec-fetch-site': 'same-origin' } });
    expect(sameSite.status).toBe(200);
    // The refused write changed nothing before the allowed one; reads need no Origin.
    expect((await c.get('/api/me/preferences')).body.preferences.language).toBe('fr');
    const loginFromElsewhere = await client().post(
      '/api/auth/login',
      { email: 'a@b.example', password: 'x' },
      { headers: { origin: 'http://127.0.0.1:1' } },
    );
    expect(loginFromElsewhere.status).toBe(403);
  });

  it('limits failed logins per account across gateway processes: 429 with Retry-After', async () => {
    const { email } = await registerUser(client());
    const bad = { email, password: 'Not-the-password-1' };
    passwords.push(bad.password);
    expect((await client().post('/api/auth/login', bad)).status).toBe(401);
    expect((await client().post('/api/auth/login', bad)).status).toBe(401);
    // Third failure on the other gateway: the counter lives in Redis.
    const other = new RecordingClient(gw2.url);
    expect((await other.post('/api/auth/login', bad)).status).toBe(401);
    const limited = await other.post('/api/auth/login', { email: email.toUpperCase(), password: STRONG_PASSWORD });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(gw.ctx.config.rateLimit.windowMs / 1000);
    expect(limited.body.error.details.retryAfterSeconds).toBe(retryAfter);
    // Another account from the same IP is unaffected.
    const { email: e2 } = await registerUser(client());
    await client().post('/api/auth/logout');
    expect((await client().post('/api/auth/login', { email: e2, password: STRONG_PASSWORD })).status).toBe(200);
  });

  it('answers an oversized body with 413 and broken JSON with 400 invalid_json', async () => {
    const c = client();
    const big = await c.post('/api/auth/login', undefined, {
      raw: JSON.stringify({ email: 'a@b.example', password: 'x'.repeat(70_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    const broken = await c.post('/api/auth/login', undefined, {
      raw: '{"email": "a@b',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ error: { code: 'invalid_json', message: 'The request body is not valid JSON.' } });
    const extra = await c.post('/api/auth/register', {
      email: uniqueEmail(),
      password: STRONG_PASSWORD,
      displayName: 'x',
      role: 'admin',
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe('validation_failed');
  });

  it('records login, failed login and logout in the audit trail without secrets', async () => {
    const c = client();
    const { id, email, password } = await registerUser(c);
    await c.post('/api/auth/logout');
    await c.post('/api/auth/login', { email, password: 'Wrong-password-123!' });
    await c.post('/api/auth/login', { email, password });
    await c.post('/api/auth/logout');
    const events = await gw.ctx.repos.audit.list(id);
    expect(events.map((e) => e.type)).toEqual([
      'logout',
      'login',
      'login_failed',
      'logout',
      'email_verification_sent',
      'register',
    ]);
    expect(events[2]?.details).toEqual({ reason: 'wrong_password' });
    expect(JSON.stringify(events)).not.toContain(password);
  });

  it('never shows a password, a hash or a session id in a response body or a log line', async () => {
    const hashes: string[] = (await gw.database.db('users').select('password_hash')).map((r) => r.password_hash);
    expect(hashes.length).toBeGreaterThan(5);
    expect(sessionIds.length).toBeGreaterThan(3);
    const logs = gw.logs.text + gw2.logs.text;
    expect(logs.length).toBeGreaterThan(1000);
    const bodies = RecordingClient.seen.join('\n');
    // Every hash whole, and its salt and key alone (scrypt$N..$salt$key, $argon2id$v$m..$salt$key).
    const parts = hashes.flatMap((h) => h.split('$').slice(-2));
    for (const secret of [...passwords, ...hashes, ...parts, ...sessionIds]) {
      expect(logs).not.toContain(secret);
      expect(bodies).not.toContain(secret);
    }
    expect(logs).not.toContain('scrypt$');
    expect(logs).not.toContain('$argon2id$');
    expect(logs).not.toMatch(/@example\.test/); // emails stay out of logs too
  });
});
