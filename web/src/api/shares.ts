import type { CreatedShare, ShareLink, ShareList, SharedConversation } from '@parley/protocol';
import { api } from './client';

export const createShare = (conversationId: string, expiresInDays: number, includeLatency: boolean) =>
  api.post<CreatedShare>('/api/shares', { conversationId, expiresInDays, includeLatency });

export async function listShares(): Promise<ShareLink[]> {
  return (await api.get<ShareList>('/api/shares')).shares;
}

export const revokeShare = (id: string) => api.del(`/api/shares/${encodeURIComponent(id)}`);

/** Public: works signed out. */
export const getShared = (token: string) => api.get<SharedConversation>(`/api/shared/${encodeURIComponent(token)}`);
