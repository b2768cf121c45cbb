import { randomBytes } from 'node:crypto';
import type { Preferences } from '@parley/protocol';
import type { TestClient } from '@parley/testkit';

/** Polls `probe` until it returns true, or throws after `timeoutMs`. */
export async function waitFor(
  probe: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const percentile = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** Registers a fresh account through the API (the client keeps its session cookie), optionally saving preferences. */
export async function registerUser(client: TestClient, preferences?: Preferences): Promise<void> {
  const email = `e2e-${randomBytes(5).toString('hex')}@example.com`;
  const reg = await client.post('/api/auth/register', {
    email,
    password: 'correct horse battery staple 42',
    displayName: 'Caller',
  });
  if (reg.status !== 201) throw new Error(`register answered ${reg.status}: ${reg.text}`);
  if (preferences) {
    const put = await client.put('/api/me/preferences', preferences);
    if (put.status !== 200) throw new Error(`PUT preferences answered ${put.status}: ${put.text}`);
  }
}

export const jwtClaims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
