import type { ExportFormat, QueryOf } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { call, query } from './client';

export type { Conversation, ConversationDetail, ConversationSummary, StoredUtterance } from '@parley/protocol';
export type { ExportFormat };

export type ListParams = QueryOf<typeof api.conversations.list>;

export const listConversations = (p: ListParams, signal?: AbortSignal) =>
  call(api.conversations.list, { query: p, signal });

/** Turns per request of the conversation page: the first ones show while the rest load. */
export const TRANSCRIPT_PAGE = 100;

/** One page of a conversation's turns: the first, or those after `afterSeq` (the previous page's nextSeq). */
export const getConversation = (id: string, afterSeq?: number) =>
  call(api.conversations.get, {
    params: { id },
    query: afterSeq === undefined ? { limit: TRANSCRIPT_PAGE } : { limit: TRANSCRIPT_PAGE, afterSeq },
  });

export const deleteConversation = (id: string) => call(api.conversations.delete, { params: { id } });

export const exportUrl = (id: string, format: ExportFormat) =>
  `/api/conversations/${encodeURIComponent(id)}/export${query({ format })}`;
