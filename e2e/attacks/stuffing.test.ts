/**
 * Credential stuffing and password guessing against the rate limits. Client IPs are simulated
 * with X-Forwarded-For from loopback (TRUST_PROXY=loopback trusts it, as a reverse proxy would be).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway, type Reply } from '@parley/testkit';
import { isErrorShape, PASSWORD, registerUser, type User } from './support';

const PER_IP = 8;
const PER_ACCOUNT = 3;
let gw: TestGateway;
let ipCounter = 0;
const freshIp = () => `203.0.113.${++ipCounter}`;

beforeAll(async () => {
  gw = await startTestGateway({
    env: {
      RATE_LIMIT_LOGIN_PER_IP: String(PER_IP),
      RATE_LIMIT_LOGIN_PER_ACCOUNT: String(PER_ACCOUNT),
      RATE_LIMIT_WINDOW_SECONDS: '600',
    },
  });
});
afterAll(async () => gw?.stop());

const login = (email: string, password: string, ip: string) =>
  new TestClient(gw.url).post('/api/auth/login', { email, password }, { headers: { 'x-forwarded-for': ip } });

function expectLimited(r: Reply, anonymous = true) {
  expect(r.status).toBe(429);
  expect(isErrorShape(r.body)).toBe(true);
  expect(r.body.error.code).toBe('rate_limited');
  const retry = Number(r.headers.get('retry-after'));
  expect(retry).toBeGreaterThan(0);
  expect(retry).toBeLessThanOrEqual(600);
  expect(r.body.error.details.retryAfterSeconds).toBe(retry);
  if (anonymous) expect(r.headers.get('set-cookie')).toBeNull(); // no session handed out
}

async function accounts(n: number): Promise<User[]> {
  const out: User[] = [];
  for (let i = 0; i < n; i++) out.push(await registerUser(gw, `stuff${i}`, { 'x-forwarded-for': freshIp() }));
  return out;
}

describe('credential stuffing', () => {
  it('many accounts from one IP: 429 with Retry-After once the per-IP budget is spent, even for a right password', async () => {
    const victims = await accounts(3);
    const ip = freshIp();
    const leaked = Array.from({ length: PER_IP }, (_, i) => ({
      email: i < 3 ? victims[i]!.email : `nobody${i}@example.test`,
      password: `leaked-password-${i}`,
    }));
    for (const cred of leaked) expect((await login(cred.email, cred.password, ip)).status).toBe(401);
    // Budget spent: the right password of a real account no longer helps this IP (no oracle).
    expectLimited(await login(victims[0]!.email, PASSWORD, ip));
    expectLimited(await login('another@example.test', 'whatever-guess', ip));
    // Another client IP is not locked out by this one.
    expect((await login(victims[1]!.email, PASSWORD, freshIp())).status).toBe(200);
    // Every refused attempt above the limit left no audit "login" for the victim.
    const logins = await gw.database
      .db('audit_events')
      .where({ user_id: victims[0]!.id, type: 'login' })
      .count({ n: '*' })
      .first();
    expect(Number(logins!.n)).toBe(0);
  });

  it('one account from many IPs: per-account lockout after its failed-attempt budget, other accounts unaffected', async () => {
    const [target, bystander] = await accounts(2);
    for (let i = 0; i < PER_ACCOUNT; i++)
      expect((await login(target!.email, `guess-${i}`, freshIp())).status).toBe(401);
    // Locked: even the right password from a new IP is refused, and so is a case variant of the email.
    expectLimited(await login(target!.email, PASSWORD, freshIp()));
    expectLimited(await login(target!.email.toUpperCase(), PASSWORD, freshIp()));
    expect((await login(bystander!.email, PASSWORD, freshIp())).status).toBe(200);
    const failed = await gw.database
      .db('audit_events')
      .where({ user_id: target!.id, type: 'login_failed' })
      .count({ n: '*' })
      .first();
    expect(Number(failed!.n)).toBe(PER_ACCOUNT); // refused attempts never reached the password check
  });

  it('successful logins do not count against the account; only failures do', async () => {
    const [u] = await accounts(1);
    for (let i = 0; i < PER_ACCOUNT + 2; i++) expect((await login(u!.email, PASSWORD, freshIp())).status).toBe(200);
    expect((await login(u!.email, 'wrong-guess-1', freshIp())).status).toBe(401);
  });

  it('guessing the current password through a stolen session is limited per user too', async () => {
    const [u] = await accounts(1);
    for (let i = 0; i < PER_ACCOUNT; i++) {
      const r = await u!.client.post('/api/me/password', {
        currentPassword: `guess-${i}`,
        newPassword: 'brand-new-passphrase-77',
      });
      expect(r.status).toBe(403);
    }
    expectLimited(
      await u!.client.post('/api/me/password', { currentPassword: PASSWORD, newPassword: 'brand-new-passphrase-77' }),
      false,
    );
    expectLimited(await u!.client.request('DELETE', '/api/me', { password: PASSWORD }), false);
    expect((await gw.database.db('users').where({ id: u!.id }).first())?.id).toBe(u!.id);
  });
});
