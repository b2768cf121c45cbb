import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { SESSION_COOKIE } from '../sessions/session';
import { RecordingClient, registerUser, STRONG_PASSWORD, uniqueEmail } from '@parley/testkit/accounts';

describe('profile and password changes', () => {
  let gw: TestGateway;
  const client = () => new RecordingClient(gw.url);
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.stop());

  it('changes the display name without a password', async () => {
    const c = client();
    await registerUser(c, { displayName: 'Old' });
    const r = await c.patch('/api/me', { displayName: '  New Name ' });
    expect(r.status).toBe(200);
    expect(r.body.user.displayName).toBe('New Name');
    expect((await c.get('/api/auth/me')).body.user.displayName).toBe('New Name');
  });

  it('requires the current password to change the email (missing 400, wrong 403, taken 409)', async () => {
    const c = client();
    const { id, email } = await registerUser(c);
    const newEmail = uniqueEmail('moved');
    const missing = await c.patch('/api/me', { email: newEmail });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'password' }] });
    const wrong = await c.patch('/api/me', { email: newEmail, password: 'Not-my-password-9' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('wrong_password');
    const other = await registerUser(client());
    const taken = await c.patch('/api/me', { email: other.email, password: STRONG_PASSWORD });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('email_taken');
    const ok = await c.patch('/api/me', { email: newEmail, password: STRONG_PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body.user.email).toBe(newEmail);
    // The old email no longer signs in; the new one does.
    expect((await client().post('/api/auth/login', { email, password: STRONG_PASSWORD })).status).toBe(401);
    expect((await client().post('/api/auth/login', { email: newEmail, password: STRONG_PASSWORD })).status).toBe(200);
    const audit = await gw.ctx.repos.audit.list(id);
    expect(audit.find((e) => e.type === 'profile_change')?.details).toEqual({ fields: ['email'] });
    expect(JSON.stringify(audit)).not.toContain(newEmail);
  });

  it('a password change ends the other sessions, keeps this one on a new id, and the new password works', async () => {
    const a = client();
    const { id, email } = await registerUser(a);
    const b = client();
    expect((await b.post('/api/auth/login', { email, password: STRONG_PASSWORD })).status).toBe(200);
    const before = a.cookies.get(SESSION_COOKIE);
    const newPassword = 'copper-meadow-sailing-82';
    const weak = await a.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: 'password12' });
    expect(weak.status).toBe(400);
    expect(weak.body.error).toMatchObject({ code: 'weak_password', details: [{ path: 'newPassword' }] });
    const wrong = await a.post('/api/me/password', { currentPassword: 'Not-my-password-9', newPassword });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('wrong_password');
    expect((await b.get('/api/auth/me')).status).toBe(200); // nothing changed yet
    const r = await a.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword });
    expect(r.status).toBe(204);
    expect(a.cookies.get(SESSION_COOKIE)).not.toBe(before);
    expect((await a.get('/api/auth/me')).status).toBe(200);
    expect((await b.get('/api/auth/me')).status).toBe(401);
    expect((await client().post('/api/auth/login', { email, password: STRONG_PASSWORD })).status).toBe(401);
    expect((await client().post('/api/auth/login', { email, password: newPassword })).status).toBe(200);
    const types = (await gw.ctx.repos.audit.list(id)).map((e) => e.type);
    expect(types).toContain('password_change');
  });

  it('answers 401 on me routes after logout', async () => {
    const c = client();
    await registerUser(c);
    expect((await c.post('/api/auth/logout')).status).toBe(204);
    expect((await c.get('/api/auth/me')).status).toBe(401);
    expect((await c.patch('/api/me', { displayName: 'x' })).status).toBe(401);
    expect((await c.post('/api/me/password', { currentPassword: 'a', newPassword: 'b' })).status).toBe(401);
    expect((await c.get('/api/me/preferences')).status).toBe(401);
  });

  it("user A can neither read nor change user B's data", async () => {
    const a = client();
    const b = client();
    const userA = await registerUser(a);
    const userB = await registerUser(b);
    const prefsB = {
      ttsVoice: 'fr',
      language: 'fr',
      favoriteTopics: ['B-secret-topic'],
      systemPrompt: 'B private prompt',
      memory: true,
    };
    expect((await b.put('/api/me/preferences', prefsB)).status).toBe(200);
    // A reads only A's own (default) preferences; there is no route that takes another user's id.
    const readA = await a.get('/api/me/preferences');
    expect(readA.body.preferences.favoriteTopics).toEqual([]);
    expect(readA.text).not.toContain('B-secret');
    // Smuggling B's id into A's writes is refused and changes nothing of B's.
    const smuggled = await a.put('/api/me/preferences', { ...prefsB, systemPrompt: 'hijack', userId: userB.id });
    expect(smuggled.status).toBe(400);
    const patched = await a.patch('/api/me', { displayName: 'hijack', id: userB.id });
    expect(patched.status).toBe(400);
    expect((await a.get(`/api/me/preferences?userId=${userB.id}`)).body.preferences.favoriteTopics).toEqual([]);
    expect((await a.get(`/api/admin/users`)).status).toBe(404);
    expect((await b.get('/api/me/preferences')).body).toEqual({ preferences: prefsB });
    expect((await b.get('/api/auth/me')).body.user).toMatchObject({ id: userB.id, displayName: 'Test User' });
    expect(userA.id).not.toBe(userB.id);
  });
});
