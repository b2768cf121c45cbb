import type { ShareLink } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { call } from './client';

export const createShare = (conversationId: string, expiresInDays: number, includeLatency: boolean) =>
  call(api.shares.create, { body: { conversationId, expiresInDays, includeLatency } });

export async function listShares(): Promise<ShareLink[]> {
  return (await call(api.shares.list)).shares;
}

export const revokeShare = (id: string) => call(api.shares.revoke, { params: { id } });

/** Public: works signed out. */
export const getShared = (token: string) => call(api.shares.open, { params: { token } });
