import { randomBytes } from 'node:crypto';
import { sign } from 'cookie-signature';
import { SESSION_COOKIE } from '@parley/gateway';
import type { Preferences } from '@parley/protocol';
import type { TestGateway } from './gateway';
import { TestClient, type Reply } from './http-client';

/**
 * Accounts for tests: users registered through the real route (genuine session cookies), or
 * created directly with a session written straight into the session store (independent of the
 * login routes, for call-path tests).
 */

/** A TestClient that keeps every response body and Set-Cookie it saw (for leak checks). */
export class RecordingClient extends TestClient {
  static readonly seen: string[] = [];
  override async request<T = any>(...args: Parameters<TestClient['request']>): Promise<Reply<T>> {
    const r = await super.request<T>(...args);
    RecordingClient.seen.push(r.text);
    return r;
  }
  /** The raw session id inside the signed cookie (s:<sid>.<signature>). */
  sessionId(): string | undefined {
    const v = this.cookies.get(SESSION_COOKIE);
    if (!v) return undefined;
    const m = /^s:([^.]+)\./.exec(decodeURIComponent(v));
    return m?.[1];
  }
}

export const STRONG_PASSWORD = 'violet-harbor-lantern-47';

/**
 * Password hashes as Parley stored them before Argon2id (node:crypto scrypt, its own format), made
 * by that code for LEGACY_PASSWORD: with the NODE_ENV=test parameters and with the production ones.
 */
export const LEGACY_PASSWORD = 'correct horse battery staple 1';
export const LEGACY_SCRYPT_HASHES = {
  test: 'scrypt$N=4096,r=8,p=1$FYrHpzTj4kFIAjzgN/fI/g==$F0XEEUzPFAz6i8jygu2KS13ZXR8fAoI3jgfZjE+4cCw=',
  production: 'scrypt$N=32768,r=8,p=3$clF93ZlGV3Q0jZYJRNoFHQ==$xomma65W9OgAIj3DZLmYJkpfXggRCi9qsh9aqnoDiSE=',
};

export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomBytes(4).toString('hex')}@example.test`;
}

/** Registers through the real route, so `c` holds a genuine session cookie afterwards. */
export async function registerUser(
  c: TestClient,
  input: { email?: string; password?: string; displayName?: string; headers?: Record<string, string> } = {},
): Promise<{ id: string; email: string; password: string }> {
  const email = input.email ?? uniqueEmail();
  const password = input.password ?? STRONG_PASSWORD;
  const body = { email, password, displayName: input.displayName ?? 'Test User' };
  const r = await c.post('/api/auth/register', body, { headers: input.headers ?? {} });
  if (r.status !== 201) throw new Error(`register failed: ${r.status} ${r.text}`);
  return { id: r.body.user.id, email, password };
}

export async function createUser(gw: TestGateway, preferences?: Preferences): Promise<string> {
  const [u] = await gw.database
    .db('users')
    .insert({ email: `u-${randomBytes(5).toString('hex')}@example.com`, password_hash: 'x', display_name: 'Caller' })
    .returning(['id']);
  if (preferences)
    await gw.database.db('user_preferences').insert({
      user_id: u.id,
      tts_voice: preferences.ttsVoice,
      language: preferences.language,
      favorite_topics: JSON.stringify(preferences.favoriteTopics),
      system_prompt: preferences.systemPrompt,
    });
  return u.id;
}

/** A browser-like client signed in as `userId` (a session as the login route would create it). */
export async function signedInClient(gw: TestGateway, userId: string): Promise<TestClient> {
  const sid = randomBytes(18).toString('base64url');
  const idleMs = gw.ctx.config.session.idleMs;
  const sess = {
    cookie: {
      originalMaxAge: idleMs,
      expires: new Date(Date.now() + idleMs).toISOString(),
      httpOnly: true,
      path: '/',
      sameSite: 'lax',
    },
    userId,
    epoch: 0,
    createdAt: Date.now(),
  };
  await new Promise<void>((resolve, reject) =>
    gw.ctx.sessionStore.set(sid, sess as never, (err?: unknown) => (err ? reject(err) : resolve())),
  );
  const client = new TestClient(gw.url);
  client.cookies.set(SESSION_COOKIE, encodeURIComponent(`s:${sign(sid, gw.ctx.config.session.secret)}`));
  return client;
}

/** An account holder, signed in, with a call just started through `POST /api/calls`. */
export async function userWithCall(gw: TestGateway): Promise<{ c: TestClient; id: string }> {
  const c = await signedInClient(gw, await createUser(gw));
  const r = await c.post('/api/calls', {});
  if (r.status !== 201) throw new Error(`POST /api/calls failed: ${r.status} ${r.text}`);
  return { c, id: r.body.conversationId as string };
}
