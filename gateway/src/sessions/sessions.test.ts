import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { RecordingClient, registerUser, STRONG_PASSWORD } from '@parley/testkit/accounts';
import { TestSmtpServer } from '@parley/testkit/smtp';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** A client whose every request carries this User-Agent (a browser on some device). */
class DeviceClient extends RecordingClient {
  constructor(
    url: string,
    private readonly ua: string,
  ) {
    super(url);
  }
  override request(...[method, path, body, init = {}]: Parameters<RecordingClient['request']>) {
    return super.request(method, path, body, { ...init, headers: { 'user-agent': this.ua, ...init.headers } });
  }
}

describe.each([
  { store: 'Redis', redis: true },
  { store: 'the sessions table (no Redis)', redis: false },
])('sessions and devices in $store', ({ redis }) => {
  let gw: TestGateway;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    gw = await startTestGateway({ redis, env: { SMTP_URL: smtp.url, RATE_LIMIT_LOGIN_PER_IP: '500' } });
  });
  afterAll(async () => {
    await gw?.stop();
    await smtp?.close();
  });

  const signIn = async (email: string, ua: string) => {
    const c = new DeviceClient(gw.url, ua);
    expect((await c.post('/api/auth/login', { email, password: STRONG_PASSWORD })).status).toBe(200);
    return c;
  };

  it('lists each session with its device, coarse IP and times; the current one marked', async () => {
    const first = new DeviceClient(gw.url, FIREFOX);
    const user = await registerUser(first);
    const phone = await signIn(user.email, IPHONE);
    const list = await phone.get('/api/me/sessions');
    expect(list.status).toBe(200);
    const sessions = list.body.sessions;
    expect(sessions).toHaveLength(2);
    expect(sessions[0]).toMatchObject({ current: true, device: 'Safari on iOS', ip: '127.0.0.x' });
    expect(sessions[1]).toMatchObject({ current: false, device: 'Firefox on Linux', ip: '127.0.0.x' });
    for (const s of sessions) {
      expect(s.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Date.parse(s.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(s.createdAt));
      // The handle is not the session id (the cookie cannot be rebuilt from it).
      expect([first.sessionId(), phone.sessionId()]).not.toContain(s.id);
    }
    expect(list.text).not.toContain(first.sessionId()!);
  });

  it('emails a notice for a sign-in from a new device, not for a known one', async () => {
    const first = new DeviceClient(gw.url, FIREFOX);
    const user = await registerUser(first);
    await signIn(user.email, FIREFOX); // the registering device: known
    await signIn(user.email, IPHONE); // new
    const notice = await smtp.waitFor(user.email, (m) => /new sign-in/i.test(m.subject));
    expect(notice.text).toContain('Safari on iOS');
    expect(notice.text).toContain('127.0.0.x');
    await signIn(user.email, IPHONE); // known now
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.to(user.email).filter((m) => /new sign-in/i.test(m.subject))).toHaveLength(1);
    const types = (await gw.database.db('audit_events').where({ user_id: user.id })).map((e) => e.type);
    expect(types.filter((t) => t === 'new_device_notice')).toHaveLength(1);
  });

  it("revokes one session; another account's session id is an unknown id", async () => {
    const a = new DeviceClient(gw.url, FIREFOX);
    const alice = await registerUser(a);
    const aPhone = await signIn(alice.email, IPHONE);
    const b = new DeviceClient(gw.url, FIREFOX);
    await registerUser(b);
    const bobSession = (await b.get('/api/me/sessions')).body.sessions[0].id;

    // Alice cannot end Bob's session, nor a made-up one.
    for (const id of [bobSession, 'A'.repeat(22), 'nope']) {
      const r = await a.delete(`/api/me/sessions/${id}`);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
    expect((await b.get('/api/auth/me')).status).toBe(200);
    // CSRF: a foreign page cannot end a session.
    const phoneId = (await a.get('/api/me/sessions')).body.sessions.find((s: { current: boolean }) => !s.current).id;
    expect(
      (await a.delete(`/api/me/sessions/${phoneId}`, { headers: { origin: 'https://evil.example' } })).status,
    ).toBe(403);
    expect((await aPhone.get('/api/auth/me')).status).toBe(200);

    expect((await a.delete(`/api/me/sessions/${phoneId}`)).status).toBe(204);
    expect((await aPhone.get('/api/auth/me')).status).toBe(401);
    expect((await a.get('/api/auth/me')).status).toBe(200);
    const left = (await a.get('/api/me/sessions')).body.sessions;
    expect(left.map((s: { id: string }) => s.id)).not.toContain(phoneId);

    // Ending the current session signs this browser out.
    const mine = left.find((s: { current: boolean }) => s.current).id;
    expect((await a.delete(`/api/me/sessions/${mine}`)).status).toBe(204);
    expect((await a.get('/api/auth/me')).status).toBe(401);
  });

  it('logs out everywhere else: the others end, this session continues', async () => {
    const here = new DeviceClient(gw.url, FIREFOX);
    const user = await registerUser(here);
    const others = [await signIn(user.email, IPHONE), await signIn(user.email, FIREFOX)];
    expect((await here.get('/api/me/sessions')).body.sessions).toHaveLength(3);
    const evil = await here.post('/api/me/sessions/revoke-others', undefined, {
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.status).toBe(403);
    for (const c of others) expect((await c.get('/api/auth/me')).status).toBe(200);

    expect((await here.post('/api/me/sessions/revoke-others')).status).toBe(204);
    for (const c of others) expect((await c.get('/api/auth/me')).status).toBe(401);
    expect((await here.get('/api/auth/me')).status).toBe(200);
    const list = (await here.get('/api/me/sessions')).body.sessions;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ current: true, device: 'Firefox on Linux' });
    // Signed out: 401.
    expect((await new RecordingClient(gw.url).get('/api/me/sessions')).status).toBe(401);
  });
});
