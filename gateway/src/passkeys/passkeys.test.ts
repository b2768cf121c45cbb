import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { RecordingClient, registerUser } from '@parley/testkit/accounts';
import { SoftAuthenticator } from '@parley/testkit/webauthn';

describe('passkeys over HTTP (software authenticator)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ env: { RATE_LIMIT_LOGIN_PER_IP: '500' } });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  /** A signed-in account with one passkey on `auth`. */
  async function withPasskey() {
    const c = new RecordingClient(gw.url);
    const user = await registerUser(c);
    const auth = new SoftAuthenticator(gw.url);
    const { body } = await c.post('/api/me/passkeys/registration-options', {});
    expect(body.options.authenticatorSelection).toMatchObject({
      residentKey: 'required',
      userVerification: 'required',
    });
    const added = await c.post('/api/me/passkeys', { credential: auth.create(body.options) });
    expect(added.status).toBe(201);
    return { c, user, auth, passkey: added.body.passkey };
  }

  const signInOptions = async (c: RecordingClient) => (await c.post('/api/auth/passkey/options', {})).body.options;

  it('adds a passkey while signed in, then signs in with it alone (no email, password or code)', async () => {
    const { user, auth, passkey } = await withPasskey();
    // Named after the device it was added from (here Node's fetch).
    expect(passkey).toMatchObject({ name: 'Node.js', lastUsedAt: null, backedUp: false });

    const fresh = new RecordingClient(gw.url);
    const options = await signInOptions(fresh);
    expect(options.allowCredentials ?? []).toEqual([]); // any passkey of this site: discoverable
    const r = await fresh.post('/api/auth/passkey', { credential: auth.get(options) });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ id: user.id, email: user.email });
    expect((await fresh.get('/api/auth/me')).body.user.id).toBe(user.id);
    const listed = (await fresh.get('/api/me/passkeys')).body.passkeys;
    expect(listed).toHaveLength(1);
    expect(listed[0].lastUsedAt).not.toBeNull();

    const events: Array<{ type: string; details: { method?: string } }> = await gw.database
      .db('audit_events')
      .where({ user_id: user.id })
      .orderBy('id');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['passkey_added', 'login']));
    expect(events.find((e) => e.type === 'login' && e.details.method === 'passkey')).toBeTruthy();
    // No key material or challenge in the audit trail.
    expect(JSON.stringify(events)).not.toContain(options.challenge);
  });

  it('refuses a replayed assertion: its challenge works once', async () => {
    const { auth } = await withPasskey();
    const c = new RecordingClient(gw.url);
    const assertion = auth.get(await signInOptions(c));
    expect((await c.post('/api/auth/passkey', { credential: assertion })).status).toBe(200);
    const again = await new RecordingClient(gw.url).post('/api/auth/passkey', { credential: assertion });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('passkey_failed');
  });

  it('refuses a passkey sign-in to an account an admin disabled (account_disabled), and lets it in once enabled', async () => {
    const { user, auth } = await withPasskey();
    await gw.ctx.repos.users.setDisabled(user.id, true);
    const c = new RecordingClient(gw.url);
    const r = await c.post('/api/auth/passkey', { credential: auth.get(await signInOptions(c)) });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('account_disabled');
    expect((await c.get('/api/auth/me')).status).toBe(401);
    await gw.ctx.repos.users.setDisabled(user.id, false);
    const again = new RecordingClient(gw.url);
    expect((await again.post('/api/auth/passkey', { credential: auth.get(await signInOptions(again)) })).status).toBe(
      200,
    );
  });

  it('refuses an expired challenge', async () => {
    const { auth } = await withPasskey();
    const c = new RecordingClient(gw.url);
    const options = await signInOptions(c);
    await gw.database
      .db('webauthn_challenges')
      .where({ challenge: options.challenge })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const r = await c.post('/api/auth/passkey', { credential: auth.get(options) });
    expect(r.status).toBe(401);
    expect((await c.get('/api/auth/me')).status).toBe(401);
  });

  it('refuses a counter that does not move forward (a cloned authenticator)', async () => {
    const { auth } = await withPasskey();
    const c = new RecordingClient(gw.url);
    expect((await c.post('/api/auth/passkey', { credential: auth.get(await signInOptions(c)) })).status).toBe(200);
    const clone = auth.get(await signInOptions(c), { repeatCounter: true });
    const r = await c.post('/api/auth/passkey', { credential: clone });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('passkey_failed');
  });

  it('refuses an assertion for another account’s passkey', async () => {
    const a = await withPasskey();
    const b = await withPasskey();
    const c = new RecordingClient(gw.url);
    // B's authenticator claims A's account (user handle), signing with B's own key.
    const claim = b.auth.get(await signInOptions(c), { userHandle: a.auth.credentials[0]!.userHandle });
    expect((await c.post('/api/auth/passkey', { credential: claim })).status).toBe(401);
    // B's signature presented under A's credential id.
    const forged = b.auth.get(await signInOptions(c));
    forged.id = forged.rawId = a.auth.get(await signInOptions(c)).id;
    expect((await c.post('/api/auth/passkey', { credential: forged })).status).toBe(401);
    expect((await c.get('/api/auth/me')).status).toBe(401);
  });

  it('ties a registration challenge to the account it was issued to, and to one use', async () => {
    const a = new RecordingClient(gw.url);
    await registerUser(a);
    const b = new RecordingClient(gw.url);
    await registerUser(b);
    const auth = new SoftAuthenticator(gw.url);
    const { options } = (await a.post('/api/me/passkeys/registration-options', {})).body;
    const credential = auth.create(options);
    const stolen = await b.post('/api/me/passkeys', { credential });
    expect(stolen.status).toBe(400);
    expect(stolen.body.error.code).toBe('passkey_failed');
    // B's attempt took nothing from A: the challenge was A's, still unused.
    expect((await a.post('/api/me/passkeys', { credential })).status).toBe(201);
    expect((await a.post('/api/me/passkeys', { credential })).status).toBe(400);
  });

  it('removes only the caller’s own passkeys; a removed passkey signs in no more', async () => {
    const a = await withPasskey();
    const b = await withPasskey();
    expect((await b.c.delete(`/api/me/passkeys/${a.passkey.id}`)).status).toBe(404);
    expect((await a.c.get('/api/me/passkeys')).body.passkeys).toHaveLength(1);
    expect((await a.c.delete(`/api/me/passkeys/${a.passkey.id}`)).status).toBe(204);
    expect((await a.c.get('/api/me/passkeys')).body.passkeys).toEqual([]);
    const c = new RecordingClient(gw.url);
    expect((await c.post('/api/auth/passkey', { credential: a.auth.get(await signInOptions(c)) })).status).toBe(401);
  });

  it('answers a malformed credential with 400 or 401, never 500', async () => {
    const c = new RecordingClient(gw.url);
    const options = await signInOptions(c);
    const good = new SoftAuthenticator(gw.url);
    const bodies = [
      {
        credential: {
          id: 'x',
          rawId: 'x',
          type: 'public-key',
          response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
        },
      },
      {
        credential: {
          ...good.create({ rp: { id: '127.0.0.1' }, user: { id: 'AA' }, challenge: options.challenge }),
          response: { clientDataJSON: 'bm90IGpzb24', authenticatorData: 'AA', signature: 'AA' },
        },
      },
      { credential: 'nope' },
    ];
    for (const body of bodies) {
      const r = await c.post('/api/auth/passkey', body);
      expect([400, 401]).toContain(r.status);
    }
  });
});
