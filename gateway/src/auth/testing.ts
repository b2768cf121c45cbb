import { randomBytes } from 'node:crypto';
import { TestClient, type Reply } from '@parley/testkit';
import { SESSION_COOKIE } from '../sessions/session';

/** Test-only helpers for account flows. */

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

export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomBytes(4).toString('hex')}@example.test`;
}

export async function registerUser(
  c: TestClient,
  input: { email?: string; password?: string; displayName?: string } = {},
): Promise<{ id: string; email: string; password: string }> {
  const email = input.email ?? uniqueEmail();
  const password = input.password ?? STRONG_PASSWORD;
  const r = await c.post('/api/auth/register', { email, password, displayName: input.displayName ?? 'Test User' });
  if (r.status !== 201) throw new Error(`register failed: ${r.status} ${r.text}`);
  return { id: r.body.user.id, email, password };
}
