import { z } from 'zod';
import { Preferences, TurnMetrics } from '@parley/protocol';
import { registerRoute } from '../openapi/registry';
import { DeleteAccountBody } from '../account-data/schema';
import { RetentionBody } from '../retention/schema';
import { ExportQuery, ListConversationsQuery } from './schema';

/** OpenAPI entries for history, own-your-data, retention and usage (rendered into docs/api.md). */

const iso = z.string().describe('ISO 8601 date-time');
const ConversationSummary = z.object({
  id: z.string().uuid(),
  title: z.string().nullable(),
  createdAt: iso,
  startedAt: iso.nullable(),
  endedAt: iso.nullable(),
  durationMs: z.number().nullable(),
  turnCount: z.number().int(),
  snippet: z.string().nullable().describe('plain text, never markup'),
  highlights: z
    .array(z.tuple([z.number().int(), z.number().int()]))
    .describe('[start, end) offsets of matches in snippet'),
  snippetHtml: z.string().nullable().describe('snippet HTML-escaped, matches wrapped in <mark>'),
});
const Conversation = z.object({
  id: z.string().uuid(),
  title: z.string().nullable(),
  language: z.string(),
  status: z.enum(['created', 'active', 'ended']),
  createdAt: iso,
  startedAt: iso.nullable(),
  endedAt: iso.nullable(),
  durationMs: z.number().nullable(),
  endReason: z.string().nullable(),
  turnCount: z.number().int(),
});
const StoredUtterance = z.object({
  seq: z.number().int(),
  role: z.enum(['user', 'agent']),
  text: z.string(),
  language: z.string(),
  startedAt: iso,
  endedAt: iso,
  interrupted: z.boolean(),
  metrics: TurnMetrics.partial().nullable(),
});
const UserExport = z.object({
  format: z.literal('parley-export'),
  version: z.literal(1),
  exportedAt: iso,
  profile: z.object({
    id: z.string().uuid(),
    email: z.string(),
    displayName: z.string(),
    createdAt: iso,
    retentionDays: z.number().int().nullable(),
  }),
  preferences: Preferences,
  conversations: z.array(Conversation.extend({ utterances: z.array(StoredUtterance) })),
});
const ImportFile = z
  .object({ format: z.literal('parley-export'), version: z.literal(1), preferences: Preferences })
  .passthrough();

registerRoute({
  method: 'get',
  path: '/api/conversations',
  summary:
    'Your conversations, newest first, keyset-paged (opaque nextCursor; null on the last page). q: full-text search (websearch syntax) over your turns; from/to: ISO dates (a bare `to` date includes that day).',
  auth: 'user',
  query: ListConversationsQuery,
  response: z.object({ items: z.array(ConversationSummary), nextCursor: z.string().nullable() }),
});
registerRoute({
  method: 'get',
  path: '/api/conversations/:id',
  summary: 'One of your conversations with its turns (ordered by seq) and per-turn metrics. Missing or foreign: 404.',
  auth: 'user',
  response: z.object({ conversation: Conversation, utterances: z.array(StoredUtterance) }),
});
registerRoute({
  method: 'delete',
  path: '/api/conversations/:id',
  summary: 'Deletes one of your conversations and its turns.',
  auth: 'user',
});
registerRoute({
  method: 'get',
  path: '/api/conversations/:id/export',
  summary:
    'Downloads a conversation (Content-Disposition: attachment) as JSON, Markdown or plain text; each format reads back into the same turns (see docs/history.md).',
  auth: 'user',
  query: ExportQuery,
});
registerRoute({
  method: 'get',
  path: '/api/me/export',
  summary: 'Downloads everything Parley stores about you as one versioned JSON file.',
  auth: 'user',
  response: UserExport,
});
registerRoute({
  method: 'post',
  path: '/api/me/import',
  summary:
    'Restores preferences from an export file (all or nothing). Send it as application/json (≤ 64 kB) or as a file with any other content type (≤ 10 MB).',
  auth: 'user',
  request: ImportFile,
  response: z.object({ preferences: Preferences }),
  errors: {
    400: 'invalid_json (corrupt file), unsupported_version (other format or version), validation_failed',
    413: 'payload_too_large',
  },
});
registerRoute({
  method: 'delete',
  path: '/api/me',
  summary: 'Deletes your account and every row that belongs to it; all your sessions end.',
  auth: 'user',
  request: DeleteAccountBody,
  errors: { 401: 'invalid_credentials (wrong password)', 429: 'rate_limited' },
});
registerRoute({
  method: 'get',
  path: '/api/me/retention',
  summary: 'Your retention setting in days (null: keep forever).',
  auth: 'user',
  response: z.object({ retentionDays: z.number().int().nullable() }),
});
registerRoute({
  method: 'put',
  path: '/api/me/retention',
  summary: 'Sets how many days conversations are kept (null: forever); an hourly job deletes older ones.',
  auth: 'user',
  request: RetentionBody,
  response: z.object({ retentionDays: z.number().int().nullable() }),
});
registerRoute({
  method: 'get',
  path: '/api/me/usage',
  summary: 'Your usage: calls, minutes talked, turns, median turn latency (e2e, ms) and active-day streak (UTC days).',
  auth: 'user',
  response: z.object({
    calls: z.number().int(),
    minutesTalked: z.number(),
    turns: z.number().int(),
    medianTurnLatencyMs: z.number().nullable(),
    activeDayStreak: z.number().int(),
  }),
});
