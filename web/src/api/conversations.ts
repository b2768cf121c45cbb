import type { ExportFormat, QueryOf } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { call, query } from './client';

export type { Conversation, ConversationDetail, ConversationSummary, StoredUtterance } from '@parley/protocol';
export type { ExportFormat };

export type ListParams = QueryOf<typeof api.conversations.list>;

export const listConversations = (p: ListParams, signal?: AbortSignal) =>
  call(api.conversations.list, { query: p, signal });

export const getConversation = (id: string) => call(api.conversations.get, { params: { id } });

export const deleteConversation = (id: string) => call(api.conversations.delete, { params: { id } });

export const exportUrl = (id: string, format: ExportFormat) =>
  `/api/conversations/${encodeURIComponent(id)}/export${query({ format })}`;
