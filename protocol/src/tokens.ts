import { z } from 'zod';

/**
 * Personal API tokens: scripts call Parley with `Authorization: Bearer <token>` instead of a session
 * cookie. A token carries scopes; a route accepts a token only if its contract lists one of them
 * (`RouteContract.scopes`). Token management, password and account changes list none.
 */
export const TOKEN_SCOPES = {
  'history:read': 'List, search and read your conversations.',
  export: 'Download a conversation or all of your data.',
  'calls:start': 'Start a call (and rejoin or end it).',
} as const;
export type TokenScope = keyof typeof TOKEN_SCOPES;
export const TokenScope = z.enum(Object.keys(TOKEN_SCOPES) as [TokenScope, ...TokenScope[]]);

/** Every token starts with this, so secret scanners and people recognise one. */
export const TOKEN_PREFIX = 'prl_';
export const TOKEN_MAX_DAYS = 365;
export const TOKEN_DEFAULT_DAYS = 90;

const iso = z.string().describe('ISO 8601 date-time');

export const CreateTokenBody = z
  .object({
    name: z.string().trim().min(1).max(80),
    scopes: z.array(TokenScope).min(1).max(3),
    /** null: never expires. */
    expiresInDays: z.number().int().min(1).max(TOKEN_MAX_DAYS).nullable().default(TOKEN_DEFAULT_DAYS),
  })
  .strict();
export type CreateTokenBody = z.input<typeof CreateTokenBody>;

export const ApiToken = z.object({
  id: z.string().uuid(),
  name: z.string(),
  scopes: z.array(TokenScope),
  /** The first characters of the token, to recognise it in a list. */
  hint: z.string(),
  createdAt: iso,
  expiresAt: iso.nullable(),
  lastUsedAt: iso.nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

/** The token itself is in this answer only: just its hash is stored. */
export const CreatedToken = z.object({ apiToken: ApiToken, token: z.string() });
export type CreatedToken = z.infer<typeof CreatedToken>;

export const TokenList = z.object({ tokens: z.array(ApiToken) });
export type TokenList = z.infer<typeof TokenList>;
