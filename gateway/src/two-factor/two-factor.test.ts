import { promisify } from 'node:util';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { RecordingClient, registerUser, STRONG_PASSWORD } from '@parley/testkit/accounts';
import { TestSmtpServer } from '@parley/testkit/smtp';

/** A code for the current 30-second step moved by `steps`. */
const totp = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
/** Waits until the current step has ≥ 4 s left, so a sequence of codes stays inside one step. */
async function awayFromStepEdge() {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < 4) await new Promise((r) => setTimeout(r, left * 1000 + 200));
}

describe('two-factor sign-in: TOTP and backup codes', () => {
  let gw: TestGateway;
  let smtp: TestSmtpServer;
  const client = () => new RecordingClient(gw.url);

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    gw = await startTestGateway({
      env: { SMTP_URL: smtp.url, RATE_LIMIT_LOGIN_PER_IP: '500', RATE_LIMIT_LOGIN_PER_ACCOUNT: '3' },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await smtp?.close();
  });

  /** Registers, verifies the email from the received message, turns two-factor on with the previous step's code. */
  async function userWithTwoFactor() {
    const c = client();
    const user = await registerUser(c);
    const token = TestSmtpServer.tokenOf(await smtp.waitFor(user.email));
    expect((await c.post('/api/auth/verify-email', { token })).status).toBe(204);
    const setup = await c.post('/api/me/two-factor/setup');
    expect(setup.status).toBe(200);
    const secret: string = setup.body.secret;
    await awayFromStepEdge();
    const enabled = await c.post('/api/me/two-factor/enable', { code: await totp(secret, -1) });
    expect(enabled.status).toBe(200);
    return { ...user, c, secret, backupCodes: enabled.body.backupCodes as string[] };
  }

  it('needs a verified email, shows a QR code and the secret, and turns on only with a correct code', async () => {
    const c = client();
    const user = await registerUser(c);
    const early = await c.post('/api/me/two-factor/setup');
    expect(early.status).toBe(403);
    expect(early.body.error.code).toBe('email_unverified');
    await c.post('/api/auth/verify-email', { token: TestSmtpServer.tokenOf(await smtp.waitFor(user.email)) });

    const setup = await c.post('/api/me/two-factor/setup');
    expect(setup.status).toBe(200);
    const { secret, otpauthUri, qrCode } = setup.body;
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(otpauthUri).toBe(`otpauth://totp/Parley:${encodeURIComponent(user.email)}?secret=${secret}&issuer=Parley`);
    expect(Buffer.from(qrCode.split(',')[1], 'base64').toString()).toMatch(/^<svg/);
    // Pending: sign-in unchanged, status off.
    expect((await c.get('/api/me/two-factor')).body).toEqual({ enabled: false, backupCodesLeft: 0 });
    expect(
      (await client().post('/api/auth/login', { email: user.email, password: STRONG_PASSWORD })).body.user,
    ).toBeDefined();

    const wrong = await c.post('/api/me/two-factor/enable', {
      code: '000000' === (await totp(secret)) ? '111111' : '000000',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_code');
    const on = await c.post('/api/me/two-factor/enable', { code: await totp(secret) });
    expect(on.status).toBe(200);
    expect(on.body.backupCodes).toHaveLength(10);
    expect(new Set(on.body.backupCodes).size).toBe(10);
    for (const code of on.body.backupCodes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    expect((await c.get('/api/me/two-factor')).body).toEqual({ enabled: true, backupCodesLeft: 10 });
    expect((await c.post('/api/me/two-factor/setup')).status).toBe(409);
    // Stored: the secret sealed, the codes hashed.
    const row = await gw.database.db('user_totp').where({ user_id: user.id }).first();
    expect(row.secret_sealed).not.toContain(secret);
    const codes = await gw.database.db('backup_codes').where({ user_id: user.id });
    expect(JSON.stringify(codes)).not.toContain(on.body.backupCodes[0].replace('-', ''));
    expect(gw.logs.text).not.toContain(secret);
  });

  it('signs in with password then code; the pending step is not a session; a code is accepted once', async () => {
    const u = await userWithTwoFactor();
    const c = client();
    const first = await c.post('/api/auth/login', { email: u.email, password: u.password });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ secondFactorRequired: true, methods: ['totp', 'backup_code'] });
    expect(first.body.user).toBeUndefined();
    // The pending cookie opens nothing.
    for (const path of [
      '/api/auth/me',
      '/api/me/sessions',
      '/api/me/two-factor',
      '/api/conversations',
      '/api/me/preferences',
    ])
      expect((await c.get(path)).status).toBe(401);
    expect((await c.post('/api/me/sessions/revoke-others')).status).toBe(401);
    const pendingSid = c.sessionId()!;

    await awayFromStepEdge();
    const code = await totp(u.secret);
    const second = await c.post('/api/auth/login/second-factor', { code });
    expect(second.status).toBe(200);
    expect(second.body.user.email).toBe(u.email);
    expect(c.sessionId()).not.toBe(pendingSid); // a new session id once signed in
    expect((await c.get('/api/auth/me')).status).toBe(200);

    // Replay of the same code within its window, from another sign-in: refused.
    const d = client();
    await d.post('/api/auth/login', { email: u.email, password: u.password });
    const replay = await d.post('/api/auth/login/second-factor', { code });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('invalid_code');
    // An older step's code too.
    expect((await d.post('/api/auth/login/second-factor', { code: await totp(u.secret, -1) })).status).toBe(401);
    expect((await d.get('/api/auth/me')).status).toBe(401);
    const audit = await gw.database.db('audit_events').where({ user_id: u.id }).orderBy('id');
    expect(audit.map((e) => e.type)).toEqual(expect.arrayContaining(['login_password_ok', 'second_factor_failed']));
    expect(audit.find((e) => e.type === 'login' && e.details.method === 'password+totp')).toBeDefined();
    expect(JSON.stringify(audit)).not.toContain(code);
  });

  it('a second step with no pending sign-in, or an expired one, is refused', async () => {
    const u = await userWithTwoFactor();
    const none = await client().post('/api/auth/login/second-factor', { code: await totp(u.secret) });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthenticated');

    const c = client();
    await c.post('/api/auth/login', { email: u.email, password: u.password });
    const store = gw.ctx.sessionStore;
    const sid = c.sessionId()!;
    const sess = (await promisify(store.get.bind(store))(sid)) as Record<string, any>;
    sess.pendingSecondFactor.expiresAt = Date.now() - 1;
    await promisify(store.set.bind(store))(sid, sess as never);
    const late = await c.post('/api/auth/login/second-factor', { code: await totp(u.secret) });
    expect(late.status).toBe(401);
    expect(late.body.error.code).toBe('unauthenticated');
    expect((await c.get('/api/auth/me')).status).toBe(401);
  });

  it('locks the second step after repeated wrong codes (per account, across sign-ins)', async () => {
    const u = await userWithTwoFactor();
    const wrong = async () => {
      const c = client();
      await c.post('/api/auth/login', { email: u.email, password: u.password });
      return { c, r: await c.post('/api/auth/login/second-factor', { code: '123456' }) };
    };
    for (let i = 0; i < 3; i++) expect((await wrong()).r.status).toBe(401);
    const { c, r } = await wrong();
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    // Locked: even a right code (and a backup code) waits for the window.
    expect((await c.post('/api/auth/login/second-factor', { code: await totp(u.secret) })).status).toBe(429);
    expect((await c.post('/api/auth/login/second-factor', { backupCode: u.backupCodes[0] })).status).toBe(429);
    expect((await c.get('/api/auth/me')).status).toBe(401);
  });

  it('turning two-factor off needs the password and a current code', async () => {
    const u = await userWithTwoFactor();
    const wrongPassword = await u.c.post('/api/me/two-factor/disable', {
      password: 'not-my-password-1',
      backupCode: u.backupCodes[0],
    });
    expect(wrongPassword.status).toBe(403);
    expect(wrongPassword.body.error.code).toBe('wrong_password');
    const wrongCode = await u.c.post('/api/me/two-factor/disable', { password: u.password, code: '000001' });
    expect(wrongCode.status).toBe(401);
    expect(wrongCode.body.error.code).toBe('invalid_code');
    expect((await u.c.get('/api/me/two-factor')).body.enabled).toBe(true);
    await awayFromStepEdge();
    const off = await u.c.post('/api/me/two-factor/disable', { password: u.password, code: await totp(u.secret) });
    expect(off.status).toBe(204);
    const plain = await client().post('/api/auth/login', { email: u.email, password: u.password });
    expect(plain.body.user.email).toBe(u.email);
    expect(await gw.database.db('backup_codes').where({ user_id: u.id })).toEqual([]);
    expect(await gw.database.db('user_totp').where({ user_id: u.id })).toEqual([]);
    const types = (await gw.database.db('audit_events').where({ user_id: u.id })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['two_factor_enabled', 'two_factor_disabled']));
  });

  it('a backup code signs in once; new codes void the old ones', async () => {
    const u = await userWithTwoFactor();
    const signIn = async (second: Record<string, string>) => {
      const c = client();
      await c.post('/api/auth/login', { email: u.email, password: u.password });
      return { c, r: await c.post('/api/auth/login/second-factor', second) };
    };
    const ok = await signIn({ backupCode: u.backupCodes[0]!.toUpperCase().replace('-', ' ') });
    expect(ok.r.status).toBe(200);
    const reuse = await signIn({ backupCode: u.backupCodes[0]! });
    expect(reuse.r.status).toBe(401);
    expect(reuse.r.body.error.code).toBe('invalid_code');
    expect((await ok.c.get('/api/me/two-factor')).body).toEqual({ enabled: true, backupCodesLeft: 9 });

    await awayFromStepEdge();
    const regen = await ok.c.post('/api/me/two-factor/backup-codes', { code: await totp(u.secret) });
    expect(regen.status).toBe(200);
    expect(regen.body.backupCodes).toHaveLength(10);
    expect((await signIn({ backupCode: u.backupCodes[1]! })).r.status).toBe(401);
    expect((await signIn({ backupCode: regen.body.backupCodes[1] })).r.status).toBe(200);
  });

  it('a password reset with two-factor on still needs a code or a backup code, and keeps the link until then', async () => {
    const u = await userWithTwoFactor();
    expect((await client().post('/api/auth/password-reset/request', { email: u.email })).status).toBe(202);
    const token = TestSmtpServer.tokenOf(await smtp.waitFor(u.email, (m) => /reset/i.test(m.subject)));
    const newPassword = 'harbor-quartz-meadow-61';
    const bare = await client().post('/api/auth/password-reset', { token, newPassword });
    expect(bare.status).toBe(401);
    expect(bare.body.error.code).toBe('second_factor_required');
    const wrong = await client().post('/api/auth/password-reset', { token, newPassword, backupCode: 'aaaaa-aaaaa' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_code');
    const done = await client().post('/api/auth/password-reset', { token, newPassword, backupCode: u.backupCodes[2] });
    expect(done.status).toBe(204);
    expect((await u.c.get('/api/auth/me')).status).toBe(401);
    // Still two-factor after the reset.
    const again = await client().post('/api/auth/login', { email: u.email, password: newPassword });
    expect(again.body.secondFactorRequired).toBe(true);
  });

  it('refuses cross-origin two-factor writes (CSRF)', async () => {
    const u = await userWithTwoFactor();
    const evil = { headers: { origin: 'https://evil.example' } };
    for (const [path, body] of [
      ['/api/me/two-factor/setup', undefined],
      ['/api/me/two-factor/enable', { code: '123456' }],
      ['/api/me/two-factor/disable', { password: u.password, code: '123456' }],
      ['/api/me/two-factor/backup-codes', { code: '123456' }],
      ['/api/auth/login/second-factor', { code: '123456' }],
    ] as const) {
      const r = await u.c.post(path, body, evil);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('forbidden_origin');
    }
    expect((await u.c.get('/api/me/two-factor')).body.enabled).toBe(true);
  });
});
