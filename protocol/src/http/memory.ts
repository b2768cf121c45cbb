import { z } from 'zod';
import { MemoryContext, MemorySummary, RecallRequest, RecallResult } from '../memory';
import { IdParams } from './common';
import { defineRoute } from './route';

/**
 * The agent's memory of the caller (schemas: ../memory.ts). Users see and delete what the agent
 * knows; the agent reads it through two signed, call-scoped internal routes that can only ever
 * return the rows of the conversation's owner, and nothing at all when the owner's memory is off.
 */
export const memoryRoutes = {
  list: defineRoute({
    method: 'get',
    path: '/api/me/memory',
    summary: 'What the agent remembers about you: the summaries of your past conversations, newest first',
    tag: 'memory',
    auth: 'user',
    response: z.object({ enabled: z.boolean(), summaries: z.array(MemorySummary) }),
  }),
  forget: defineRoute({
    method: 'delete',
    path: '/api/me/memory/:id',
    summary: "Forget one conversation's summary (the conversation itself stays in your history)",
    tag: 'memory',
    auth: 'user',
    params: IdParams,
    errors: { 404: 'not_found (no such conversation of yours)' },
  }),
  forgetAll: defineRoute({
    method: 'delete',
    path: '/api/me/memory',
    summary: 'Forget every summary (your conversations stay in your history)',
    tag: 'memory',
    auth: 'user',
  }),
  context: defineRoute({
    method: 'post',
    path: '/internal/conversations/:id/memory',
    summary:
      "For an agent job starting a call: the summaries of the owner's last conversations within the start budget; empty for guests and when the owner's memory is off.",
    tag: 'internal',
    auth: 'signed',
    params: IdParams,
    response: MemoryContext,
    errors: { 404: 'not_found (unknown conversation)', 503: 'service_unavailable (retry)' },
  }),
  recall: defineRoute({
    method: 'post',
    path: '/internal/conversations/:id/recall',
    summary:
      "The agent's recall tool: full-text search over the owner's own past utterances (ranked, trimmed to the recall budget); empty for guests and when memory is off.",
    tag: 'internal',
    auth: 'signed',
    params: IdParams,
    body: RecallRequest,
    response: RecallResult,
    errors: { 404: 'not_found (unknown conversation)', 503: 'service_unavailable (retry)' },
  }),
};
