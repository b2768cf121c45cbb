/**
 * Sign-in and linking with OpenID Connect against a real provider (panva's oidc-provider on its own
 * port, driven through its own login and consent pages over HTTP), the real gateway and Postgres.
 * Every attack in issue 21 is tried here at HTTP level; the browser test covers the pages.
 */
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { startTestOidcProvider, type TestOidcProvider } from '@parley/testkit/oidc-provider';
import { SESSION_COOKIE } from '../sessions/session';
import { registerUser, STRONG_PASSWORD, uniqueEmail } from '@parley/testkit/accounts';

describe('OpenID Connect sign-in (real provider, real gateway)', () => {
  let gw: TestGateway;
  let idp: TestOidcProvider;
  let idp2: TestOidcProvider;
  const client = () => new TestClient(gw.url);

  beforeAll(async () => {
    [idp, idp2] = await Promise.all([startTestOidcProvider(), startTestOidcProvider()]);
    gw = await startTestGateway({
      env: {
        ...idp.env('LOCAL', 'Local ID'),
        ...idp2.env('ACME_SSO'),
        // A configured provider that is down: its button must fail cleanly.
        OIDC_DOWN_ISSUER: 'http://127.0.0.1:9/',
        OIDC_DOWN_CLIENT_ID: 'x',
        OIDC_DOWN_CLIENT_SECRET: 'y',
      },
    });
    idp.configure([`${gw.url}/api/auth/oidc/local/callback`]);
    idp2.configure([`${gw.url}/api/auth/oidc/acme-sso/callback`]);
  });
  afterAll(async () => {
    await gw?.stop();
    await Promise.all([idp?.stop(), idp2?.stop()]);
  });

  /** Starts a sign-in in `c`'s session; returns the provider URL the gateway redirected to. */
  async function start(c: TestClient, provider = 'local', next?: string): Promise<URL> {
    const q = next === undefined ? '' : `?next=${encodeURIComponent(next)}`;
    const r = await c.get(`/api/auth/oidc/${provider}/start${q}`);
    expect(r.status).toBe(303);
    return new URL(r.headers.get('location')!);
  }
  /** The provider's redirect back, delivered to the gateway in `c`'s session. */
  const callback = (c: TestClient, back: URL) => c.get(back.pathname + back.search);
  async function signIn(c: TestClient, login: string, opts: { provider?: string; next?: string } = {}) {
    const p = opts.provider === 'acme-sso' ? idp2 : idp;
    const back = await p.authorize((await start(c, opts.provider, opts.next)).toString(), login);
    return callback(c, back);
  }
  const location = (r: { headers: Headers }) => r.headers.get('location');
  /** Log lines written from now on (the refusal's reason is for operators only). */
  const logsFromNow = () => {
    const mark = gw.logs.lines.length;
    return () => gw.logs.lines.slice(mark).join('\n');
  };
  const me = async (c: TestClient) => (await c.get('/api/auth/me')).body?.user;
  const emailVerified = async (email: string) =>
    (await gw.database.db('users').whereRaw('lower(email) = ?', [email.toLowerCase()]).first('email_verified'))
      ?.email_verified;

  it('lists the configured providers for the login page', async () => {
    const r = await client().get('/api/auth/providers');
    expect(r.status).toBe(200);
    expect(r.body.providers).toEqual([
      { id: 'acme-sso', displayName: 'Acme Sso', startUrl: '/api/auth/oidc/acme-sso/start' },
      { id: 'down', displayName: 'Down', startUrl: '/api/auth/oidc/down/start' },
      { id: 'local', displayName: 'Local ID', startUrl: '/api/auth/oidc/local/start' },
    ]);
  });

  it('refuses a provider sign-in to an account an admin disabled, back to the login page with the reason', async () => {
    const email = uniqueEmail('dora');
    idp.addAccount({ login: 'dora', email, emailVerified: true, name: 'Dora' });
    const first = client();
    expect(location(await signIn(first, 'dora'))).toMatch(/^\/signed-in/);
    const user = await me(first);
    await gw.ctx.repos.users.setDisabled(user.id, true);
    expect(await me(first)).toBeUndefined();
    const c = client();
    const r = await signIn(c, 'dora');
    expect(r.status).toBe(303);
    expect(location(r)).toBe('/login?oidc_error=oidc_account_disabled');
    expect(await me(c)).toBeUndefined();
    await gw.ctx.repos.users.setDisabled(user.id, false);
    expect(location(await signIn(client(), 'dora'))).toMatch(/^\/signed-in/);
  });

  it('sends the browser to the provider with PKCE (S256), state, nonce and the fixed callback URL', async () => {
    const c = client();
    const url = await start(c);
    expect(url.origin).toBe(idp.issuer);
    const q = url.searchParams;
    expect(q.get('client_id')).toBe(idp.clientId);
    expect(q.get('redirect_uri')).toBe(`${gw.url}/api/auth/oidc/local/callback`);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('scope')).toBe('openid email profile');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(q.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(q.get('nonce')).toMatch(/^[\w-]{20,}$/);
    // A Host header from an attacker does not move the redirect URI.
    const evil = await c.get('/api/auth/oidc/local/start', { headers: { host: 'evil.example' } });
    expect(new URL(location(evil)!).searchParams.get('redirect_uri')).toBe(`${gw.url}/api/auth/oidc/local/callback`);
    // The flow lives in the pre-login session: an HttpOnly SameSite=Lax cookie.
    expect(c.cookies.has(SESSION_COOKIE)).toBe(true);
  });

  it('signs up on first sign-in, signs out, signs in again to the same account', async () => {
    const email = uniqueEmail('ann');
    idp.addAccount({ login: 'ann', email, emailVerified: true, name: 'Ann Provider' });
    const c = client();
    const r = await signIn(c, 'ann');
    expect(r.status).toBe(303);
    expect(location(r)).toBe('/signed-in?next=%2Fsettings%3Fwelcome%3D1');
    expect(r.headers.getSetCookie().find((x) => x.startsWith(`${SESSION_COOKIE}=`))).toMatch(/SameSite=Lax/i);
    const user = await me(c);
    expect(user).toMatchObject({ email, displayName: 'Ann Provider', role: 'user' });
    expect(await emailVerified(email)).toBe(true);
    const ids = await c.get('/api/me/identities');
    expect(ids.body).toEqual({
      identities: [
        {
          id: expect.any(String),
          provider: 'local',
          providerName: 'Local ID',
          email,
          linkedAt: expect.any(String),
          lastUsedAt: expect.any(String),
        },
      ],
      hasPassword: false,
    });
    // The only way to sign in cannot be removed; nor can a password sign-in guess its way in.
    const unlink = await c.delete(`/api/me/identities/${ids.body.identities[0].id}`);
    expect(unlink.status).toBe(409);
    expect(unlink.body.error.code).toBe('last_sign_in_method');
    const pw = await client().post('/api/auth/login', { email, password: 'anything-at-all-123' });
    expect(pw.status).toBe(401);

    expect((await c.post('/api/auth/logout')).status).toBe(204);
    expect(await me(c)).toBeUndefined();
    const again = await signIn(c, 'ann', { next: '/history?q=sea' });
    expect(location(again)).toBe('/signed-in?next=%2Fhistory%3Fq%3Dsea');
    expect((await me(c)).id).toBe(user.id);
  });

  it('lets an account made through a provider set a first password, then remove the provider', async () => {
    const email = uniqueEmail('pam');
    idp.addAccount({ login: 'pam', email, emailVerified: true });
    const c = client();
    await signIn(c, 'pam');
    const weak = await c.post('/api/me/initial-password', { newPassword: 'password1' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe('weak_password');
    expect((await c.post('/api/me/initial-password', { newPassword: STRONG_PASSWORD })).status).toBe(204);
    expect(await me(c)).toMatchObject({ email }); // this session continues
    const again = await c.post('/api/me/initial-password', { newPassword: 'another-violet-harbor-58' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('password_already_set');
    expect((await client().post('/api/auth/login', { email, password: STRONG_PASSWORD })).status).toBe(200);
    const { identities, hasPassword } = (await c.get('/api/me/identities')).body;
    expect(hasPassword).toBe(true);
    expect((await c.delete(`/api/me/identities/${identities[0].id}`)).status).toBe(204);
  });

  it('marks the email unverified when the provider does not vouch for it', async () => {
    const email = uniqueEmail('una');
    idp.addAccount({ login: 'una', email, emailVerified: false });
    const c = client();
    expect(location(await signIn(c, 'una'))).toMatch(/^\/signed-in/);
    expect((await me(c)).email).toBe(email);
    expect(await emailVerified(email)).toBe(false);
  });

  it('refuses a provider account with no email, and a user who cancels at the provider, with a clear page', async () => {
    idp.addAccount({ login: 'noemail' });
    const c = client();
    expect(location(await signIn(c, 'noemail'))).toBe('/login?oidc_error=oidc_email_missing');
    const back = await idp.authorize((await start(c)).toString(), 'noemail', { cancel: true });
    expect(back.searchParams.get('error')).toBe('access_denied');
    const r = await callback(c, back);
    expect(r.status).toBe(303);
    expect(location(r)).toBe('/login?oidc_error=oidc_denied');
    expect(await me(c)).toBeUndefined();
  });

  it('answers an unreachable provider and an unknown one without a 500', async () => {
    const down = await client().get('/api/auth/oidc/down/start');
    expect(down.status).toBe(303);
    expect(location(down)).toBe('/login?oidc_error=oidc_provider_unreachable');
    const unknown = await client().get('/api/auth/oidc/nope/start');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });

  describe('attacks', () => {
    it('refuses a missing or forged state, and a callback delivered into another browser session', async () => {
      idp.addAccount({ login: 'sam', email: uniqueEmail('sam'), emailVerified: true });
      const c = client();
      const back = await idp.authorize((await start(c)).toString(), 'sam');
      const code = back.searchParams.get('code')!;
      const missing = await c.get(`/api/auth/oidc/local/callback?code=${code}`);
      expect(location(missing)).toBe('/login?oidc_error=oidc_state_invalid');
      const forged = new URL(back);
      forged.searchParams.set('state', 'forged-state-value-0123456789');
      expect(location(await callback(c, forged))).toBe('/login?oidc_error=oidc_state_invalid');
      // Login CSRF: the attacker's own callback URL opened in the victim's browser.
      const victim = client();
      expect(location(await callback(victim, back))).toBe('/login?oidc_error=oidc_state_invalid');
      expect(await me(victim)).toBeUndefined();
      // The real flow is untouched by the refused attempts.
      expect(location(await callback(c, back))).toMatch(/^\/signed-in/);
      expect(await me(c)).toBeDefined();
    });

    it('refuses a replayed code: same callback again, and the code with a fresh state', async () => {
      idp.addAccount({ login: 'rita', email: uniqueEmail('rita'), emailVerified: true });
      const c = client();
      const back = await idp.authorize((await start(c)).toString(), 'rita');
      expect(location(await callback(c, back))).toMatch(/^\/signed-in/);
      expect(location(await callback(c, back))).toBe('/login?oidc_error=oidc_state_invalid');
      // An attacker who saw the code starts a flow of their own and feeds it the stolen code.
      const attacker = client();
      const fresh = await start(attacker);
      const replay = new URL(back);
      replay.searchParams.set('state', fresh.searchParams.get('state')!);
      const before = idp.tokenRequests;
      const logs = logsFromNow();
      const r = await callback(attacker, replay);
      expect(idp.tokenRequests).toBe(before + 1); // the provider saw the code again and refused it
      expect(location(r)).toBe('/login?oidc_error=oidc_provider_error');
      expect(await me(attacker)).toBeUndefined();
      expect(logs()).toMatch(/"reason":"token_error:invalid_grant"/);
    });

    it('refuses an ID token whose nonce is not the one this session sent (code injection)', async () => {
      idp.addAccount({ login: 'nina', email: uniqueEmail('nina'), emailVerified: true });
      const c = client();
      const url = await start(c);
      url.searchParams.set('nonce', 'attacker-chosen-nonce-0123456789');
      const back = await idp.authorize(url.toString(), 'nina');
      const logs = logsFromNow();
      const r = await callback(c, back);
      expect(location(r)).toBe('/login?oidc_error=oidc_token_invalid');
      expect(await me(c)).toBeUndefined();
      expect(logs()).toMatch(/"reason":"[^"]*\(claim: nonce\)"/);
    });

    it('refuses an ID token issued to another client (wrong audience), even with the right nonce', async () => {
      idp.addAccount({ login: 'otto', email: uniqueEmail('otto'), emailVerified: true });
      const c = client();
      const url = await start(c);
      const foreign = await idp.idTokenForOtherClient('otto', url.searchParams.get('nonce')!);
      const back = await idp.authorize(url.toString(), 'otto');
      idp.replaceNextIdToken(foreign);
      const logs = logsFromNow();
      const r = await callback(c, back);
      expect(location(r)).toBe('/login?oidc_error=oidc_token_invalid');
      expect(await me(c)).toBeUndefined();
      expect(logs()).toMatch(/"reason":"[^"]*\(claim: aud\)"/);
    });

    it('never redirects off-site after sign-in, whatever `next` says', async () => {
      idp.addAccount({ login: 'olga', email: uniqueEmail('olga'), emailVerified: true });
      await signIn(client(), 'olga'); // the account exists: the default destination is /call
      for (const next of [
        'https://evil.example/',
        '//evil.example/x',
        '/\\evil.example',
        '/\t/evil.example',
        'javascript:alert(1)',
        '/api/auth/logout',
      ]) {
        const r = await signIn(client(), 'olga', { next });
        expect(location(r), next).toBe('/signed-in?next=%2Fcall');
      }
    });

    it('does not sign in to, nor link, an existing account because the provider reports its email', async () => {
      const victim = client();
      const { id, email } = await registerUser(victim);
      for (const [login, verified] of [
        ['mallory', false],
        ['mallory-verified', true],
      ] as const) {
        idp.addAccount({ login, email: email.toUpperCase(), emailVerified: verified });
        const c = client();
        const r = await signIn(c, login);
        expect(location(r)).toBe('/login?oidc_error=oidc_account_exists');
        expect(await me(c)).toBeUndefined();
      }
      expect(await gw.ctx.repos.identities.list(id)).toEqual([]);
      expect(await emailVerified(email)).toBe(false);
    });
  });

  describe('linking', () => {
    it('links a provider to a signed-in password account, then signs in with it, then unlinks it', async () => {
      const c = client();
      const { id, email } = await registerUser(c);
      idp2.addAccount({ login: 'lena', email: uniqueEmail('lena-at-acme'), emailVerified: true });
      expect(
        (await c.post('/api/me/identities/acme-sso/link', {}, { headers: { origin: 'https://evil.example' } })).status,
      ).toBe(403);
      const link = await c.post('/api/me/identities/acme-sso/link');
      expect(link.status).toBe(200);
      const back = await idp2.authorize(link.body.authorizationUrl, 'lena');
      const r = await callback(c, back);
      expect(location(r)).toBe('/settings?linked=acme-sso#security');
      const listed = (await c.get('/api/me/identities')).body;
      expect(listed.hasPassword).toBe(true);
      expect(listed.identities).toHaveLength(1);
      expect(listed.identities[0]).toMatchObject({ provider: 'acme-sso', providerName: 'Acme Sso' });

      const other = client();
      expect(location(await signIn(other, 'lena', { provider: 'acme-sso' }))).toBe('/signed-in?next=%2Fcall');
      expect(await me(other)).toMatchObject({ id, email });

      expect((await c.delete(`/api/me/identities/${listed.identities[0].id}`)).status).toBe(204);
      expect((await c.get('/api/me/identities')).body.identities).toEqual([]);
      expect((await c.delete(`/api/me/identities/${listed.identities[0].id}`)).status).toBe(404);
      // A path value that cannot name anything is a 404, like an unknown id (protocol/README.md).
      expect((await c.delete('/api/me/identities/not-a-uuid')).status).toBe(404);
    });

    it("refuses to link someone else's identity, and a link finished in another session", async () => {
      const owner = client();
      const { id: ownerId } = await registerUser(owner);
      idp.addAccount({ login: 'owen', email: uniqueEmail('owen'), emailVerified: true });
      const ownLink = await owner.post('/api/me/identities/local/link');
      expect(location(await callback(owner, await idp.authorize(ownLink.body.authorizationUrl, 'owen')))).toBe(
        '/settings?linked=local#security',
      );

      const thief = client();
      const { id: thiefId } = await registerUser(thief);
      const link = await thief.post('/api/me/identities/local/link');
      const r = await callback(thief, await idp.authorize(link.body.authorizationUrl, 'owen'));
      expect(location(r)).toBe('/settings?oidc_error=oidc_identity_in_use#security');
      expect(await gw.ctx.repos.identities.list(thiefId)).toEqual([]);
      expect((await gw.ctx.repos.identities.list(ownerId)).map((i) => i.provider)).toEqual(['local']);

      // The thief's link URL, completed by the victim at the provider and delivered to the victim's
      // browser, has no flow there; delivered to the thief's browser it is the victim's sign-in
      // at the provider that gets linked - so a link must start from the session it ends in.
      const victim = client();
      await registerUser(victim);
      const link2 = await thief.post('/api/me/identities/local/link');
      const back = await idp.authorize(link2.body.authorizationUrl, 'owen');
      expect(location(await callback(victim, back))).toBe('/login?oidc_error=oidc_state_invalid');

      const signedOut = client();
      expect((await signedOut.post('/api/me/identities/local/link')).status).toBe(401);
    });

    it('drops a pending link when the session changes user before the provider answers', async () => {
      const c = client();
      await registerUser(c);
      idp.addAccount({ login: 'ivy', email: uniqueEmail('ivy'), emailVerified: true });
      const link = await c.post('/api/me/identities/local/link');
      await c.post('/api/auth/logout');
      const r = await callback(c, await idp.authorize(link.body.authorizationUrl, 'ivy'));
      expect(location(r)).toBe('/login?oidc_error=oidc_state_invalid');
    });
  });

  it('keeps codes and tokens out of the logs', async () => {
    const c = client();
    idp.addAccount({ login: 'lou', email: uniqueEmail('lou'), emailVerified: true });
    const back = await idp.authorize((await start(c)).toString(), 'lou');
    await callback(c, back);
    expect(gw.logs.text).not.toContain(back.searchParams.get('code')!);
    expect(gw.logs.text).not.toMatch(/eyJ[\w-]+\.eyJ/); // no JWT
    expect(gw.logs.text).not.toContain(idp.clientSecret);
  });

  it("does not bypass the account's own second factor: a provider sign-in waits for a code", async () => {
    const email = uniqueEmail('tfa');
    idp.addAccount({ login: 'tfa', email, emailVerified: true, name: 'Two Factor' });
    const c = client();
    await signIn(c, 'tfa');
    const setup = await c.post('/api/me/two-factor/setup');
    expect(setup.status).toBe(200); // the provider vouched for the email
    const secret = setup.body.secret as string;
    const step = Math.floor(Date.now() / 30_000);
    const codeAt = (s: number) => generate({ secret, epoch: s * 30 });
    expect((await c.post('/api/me/two-factor/enable', { code: await codeAt(step - 1) })).status).toBe(200);
    await c.post('/api/auth/logout');

    const d = client();
    const back = await signIn(d, 'tfa', { next: '/history' });
    expect(back.status).toBe(303);
    expect(location(back)).toBe('/login?second-factor=1&next=%2Fhistory');
    expect((await d.get('/api/auth/me')).status).toBe(401);
    const done = await d.post('/api/auth/login/second-factor', { code: await codeAt(Math.floor(Date.now() / 30_000)) });
    expect(done.status).toBe(200);
    expect((await me(d)).email).toBe(email);
  });
});
