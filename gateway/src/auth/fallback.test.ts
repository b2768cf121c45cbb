import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { SESSION_COOKIE } from '../sessions/session';
import { RecordingClient, registerUser, STRONG_PASSWORD } from '@parley/testkit/accounts';

describe('single-process fallback (no Redis): sessions in Postgres, rate limits in memory', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      redis: false,
      env: { RATE_LIMIT_LOGIN_PER_IP: '3', RATE_LIMIT_LOGIN_PER_ACCOUNT: '10' },
    });
  });
  afterAll(async () => gw?.stop());

  it('keeps sessions in the sessions table: register, me, logout deletes the row, replay is refused', async () => {
    expect(gw.ctx.redis).toBeNull();
    const c = new RecordingClient(gw.url);
    const { email } = await registerUser(c);
    const sid = c.sessionId()!;
    const row = await gw.database.db('sessions').where({ sid }).first();
    expect(row.sess.userId).toEqual(expect.any(String));
    expect((await c.get('/api/auth/me')).body.user.email).toBe(email);
    const cookie = c.cookies.get(SESSION_COOKIE)!;
    expect((await c.post('/api/auth/logout')).status).toBe(204);
    expect(await gw.database.db('sessions').where({ sid }).first()).toBeUndefined();
    const replay = new RecordingClient(gw.url);
    replay.cookies.set(SESSION_COOKIE, cookie);
    expect((await replay.get('/api/auth/me')).status).toBe(401);
  });

  it('the session store deletes expired sessions itself (at start, then every 10 minutes)', async () => {
    const set = (sid: string, maxAge: number) =>
      new Promise<void>((resolve, reject) =>
        gw.ctx.sessionStore.set(sid, { cookie: { maxAge, originalMaxAge: maxAge } } as never, (err?: unknown) =>
          err ? reject(err) : resolve(),
        ),
      );
    await set('expired-session', -60_000);
    await set('live-session', 60_000);
    const sids = async () =>
      (await gw.database.db('sessions').whereIn('sid', ['expired-session', 'live-session'])).map((r) => r.sid).sort();
    expect(await sids()).toEqual(['expired-session', 'live-session']);
    // A second gateway on the same database: its store sweeps when it starts.
    const second = await startTestGateway({ redis: false, database: gw.database });
    try {
      const deadline = Date.now() + 10_000;
      while ((await sids()).length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await sids()).toEqual(['live-session']);
    } finally {
      await second.stop();
    }
  });

  it('limits logins per IP in memory: the fourth attempt answers 429 with Retry-After', async () => {
    const c = new RecordingClient(gw.url);
    const { email } = await registerUser(c); // registrations have their own per-IP budget
    expect((await c.post('/api/auth/login', { email, password: 'Wrong-password-1' })).status).toBe(401);
    expect((await c.post('/api/auth/login', { email, password: 'Wrong-password-2' })).status).toBe(401);
    expect((await c.post('/api/auth/login', { email, password: STRONG_PASSWORD })).status).toBe(200);
    const limited = await c.post('/api/auth/login', { email, password: STRONG_PASSWORD });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body.error.code).toBe('rate_limited');
  });
});
