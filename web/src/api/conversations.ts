import type { EndReason, TurnMetrics, Role } from '@parley/protocol';
import { api, query } from './client';

export interface ConversationSummary {
  id: string;
  title: string | null;
  startedAt: string;
  durationMs: number | null;
  turnCount: number;
  /** Plain text; never rendered as HTML. */
  snippet: string | null;
  /** [start, end) offsets of matched words in `snippet` (the gateway sends these; older contract: <mark> markers). */
  highlights?: Array<[number, number]>;
}

export interface ConversationPage {
  items: ConversationSummary[];
  nextCursor: string | null;
}

export interface ConversationDetail {
  id: string;
  title: string | null;
  startedAt: string;
  endedAt?: string | null;
  durationMs?: number | null;
  endReason?: EndReason | null;
}

export interface StoredUtterance {
  seq: number;
  role: Role;
  text: string;
  startedAt: string;
  endedAt: string;
  interrupted: boolean;
  metrics: TurnMetrics | null;
}

export interface ListParams {
  cursor?: string | null;
  limit?: number;
  q?: string;
  from?: string;
  to?: string;
}

export const listConversations = (p: ListParams, signal?: AbortSignal) =>
  api.get<ConversationPage>(`/api/conversations${query({ ...p })}`, signal);

export const getConversation = (id: string) =>
  api.get<{ conversation: ConversationDetail; utterances: StoredUtterance[] }>(
    `/api/conversations/${encodeURIComponent(id)}`,
  );

export const deleteConversation = (id: string) => api.del(`/api/conversations/${encodeURIComponent(id)}`);

export type ExportFormat = 'json' | 'md' | 'txt';
export const exportUrl = (id: string, format: ExportFormat) =>
  `/api/conversations/${encodeURIComponent(id)}/export${query({ format })}`;
