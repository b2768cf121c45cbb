import type { ApiToken, CreateTokenBody } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { call } from './client';

export const createToken = (body: CreateTokenBody) => call(api.tokens.create, { body });

export async function listTokens(): Promise<ApiToken[]> {
  return (await call(api.tokens.list)).tokens;
}

export const revokeToken = (id: string) => call(api.tokens.revoke, { params: { id } });
