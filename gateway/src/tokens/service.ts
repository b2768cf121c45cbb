import { createHash, randomBytes } from 'node:crypto';
import type { ApiTokenRecord, Repositories } from '@parley/db';
import { TOKEN_PREFIX, type ApiToken, type CreateTokenBody, type TokenScope } from '@parley/protocol';

/** SHA-256 hex: tokens carry 256 random bits, so a fast hash is enough (no salt or KDF needed). */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const presentToken = (t: ApiTokenRecord): ApiToken => ({
  id: t.id,
  name: t.name,
  scopes: t.scopes as TokenScope[],
  hint: t.hint,
  createdAt: t.createdAt.toISOString(),
  expiresAt: t.expiresAt?.toISOString() ?? null,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
});

export async function createToken(
  repos: Repositories,
  userId: string,
  input: { name: string; scopes: TokenScope[]; expiresInDays: number | null },
): Promise<{ token: string; apiToken: ApiToken }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const record = await repos.apiTokens.create({
    userId,
    name: input.name,
    tokenHash: hashToken(token),
    hint: token.slice(0, TOKEN_PREFIX.length + 4),
    scopes: [...new Set(input.scopes)],
    expiresAt: input.expiresInDays === null ? null : new Date(Date.now() + input.expiresInDays * 86_400_000),
  });
  return { token, apiToken: presentToken(record) };
}

export type { CreateTokenBody };
