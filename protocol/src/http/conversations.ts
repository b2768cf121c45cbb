import { z } from 'zod';
import { Role, TurnMetrics } from '../transcript';
import { IdParams, IsoDateTime } from './common';
import { defineRoute } from './route';

// No control characters (Postgres text cannot hold NUL; nothing legitimate needs the others).
// eslint-disable-next-line no-control-regex
const noControlChars = (s: string) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(s);

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * An ISO date (YYYY-MM-DD, a whole UTC day) or date-time with offset. `to` with a bare date means
 * "through the end of that day" (exclusive bound at the next midnight).
 */
function isoBound(kind: 'from' | 'to') {
  return z
    .string()
    .max(40)
    .transform((s, ctx) => {
      const dateOnly = DATE_ONLY.test(s);
      if (!dateOnly && !DATE_TIME.test(s)) {
        ctx.addIssue({ code: 'custom', message: 'Use an ISO date (2025-01-31) or date-time with offset.' });
        return z.NEVER;
      }
      const d = new Date(dateOnly ? `${s}T00:00:00Z` : s);
      const year = d.getUTCFullYear();
      // A real calendar date (2025-02-30 is refused), within a range Postgres handles.
      if (Number.isNaN(d.getTime()) || year < 1970 || year > 9999 || (dateOnly && d.toISOString().slice(0, 10) !== s)) {
        ctx.addIssue({ code: 'custom', message: 'Not a valid date.' });
        return z.NEVER;
      }
      if (kind === 'to' && dateOnly) d.setUTCDate(d.getUTCDate() + 1);
      return { raw: s, date: d };
    });
}

export const ListConversationsQuery = z
  .object({
    cursor: z.string().max(600).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    q: z
      .string()
      .max(200)
      .refine(noControlChars, 'Control characters are not allowed.')
      .transform((s) => s.trim())
      .optional(),
    from: isoBound('from').optional(),
    to: isoBound('to').optional(),
  })
  .strict()
  .refine((v) => !v.from || !v.to || v.from.date < v.to.date, {
    message: '`from` must be before `to`.',
    path: ['from'],
  });
export type ListConversationsQuery = z.infer<typeof ListConversationsQuery>;

export const ExportFormat = z.enum(['json', 'md', 'txt']);
export type ExportFormat = z.infer<typeof ExportFormat>;
export const ExportQuery = z.object({ format: ExportFormat.default('json') }).strict();

export const ConversationStatus = z.enum(['created', 'active', 'ended']);

export const ConversationSummary = z
  .object({
    id: z.string().uuid(),
    /** The generated title, or the first words the caller said. */
    title: z.string().nullable(),
    createdAt: IsoDateTime,
    startedAt: IsoDateTime.nullable(),
    endedAt: IsoDateTime.nullable(),
    durationMs: z.number().nullable(),
    turnCount: z.number().int(),
    snippet: z.string().nullable().describe('plain text, never markup'),
    highlights: z
      .array(z.tuple([z.number().int(), z.number().int()]))
      .describe('[start, end) offsets of matches in snippet'),
    snippetHtml: z.string().nullable().describe('snippet HTML-escaped, matches wrapped in <mark>'),
  })
  .meta({ id: 'ConversationSummary' });
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const ConversationPage = z.object({
  conversations: z.array(ConversationSummary),
  /** Opaque; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type ConversationPage = z.infer<typeof ConversationPage>;

export const Conversation = z
  .object({
    id: z.string().uuid(),
    title: z.string().nullable(),
    language: z.string(),
    status: ConversationStatus,
    createdAt: IsoDateTime,
    startedAt: IsoDateTime.nullable(),
    endedAt: IsoDateTime.nullable(),
    durationMs: z.number().nullable(),
    endReason: z.string().nullable(),
    turnCount: z.number().int(),
  })
  .meta({ id: 'Conversation' });
export type Conversation = z.infer<typeof Conversation>;

export const StoredUtterance = z
  .object({
    seq: z.number().int(),
    role: Role,
    text: z.string(),
    language: z.string(),
    startedAt: IsoDateTime,
    endedAt: IsoDateTime,
    interrupted: z.boolean(),
    metrics: TurnMetrics.partial().nullable(),
    /** The caller typed this turn instead of saying it (absent in exports made before typed messages). */
    typed: z.boolean().optional(),
  })
  .meta({ id: 'StoredUtterance' });
export type StoredUtterance = z.infer<typeof StoredUtterance>;

/**
 * A conversation's turns in pages by seq: `limit` turns after `afterSeq` (from the first without
 * it). With neither, every turn in one answer, as before paging existed.
 */
export const ConversationDetailQuery = z
  .object({
    afterSeq: z.coerce.number().int().min(-1).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();
export type ConversationDetailQuery = z.infer<typeof ConversationDetailQuery>;

/** Turns of one page are the transcript's next ones; `nextSeq` (the page's last seq) is null on the last page. */
export const ConversationDetail = z.object({
  conversation: Conversation,
  utterances: z.array(StoredUtterance),
  nextSeq: z.number().int().nullable(),
});
export type ConversationDetail = z.infer<typeof ConversationDetail>;

export const conversationsRoutes = {
  list: defineRoute({
    method: 'get',
    path: '/api/conversations',
    scopes: ['history:read'],
    summary:
      'Your conversations, newest first, keyset-paged (opaque nextCursor; null on the last page). q: full-text search (websearch syntax) over your turns; from/to: ISO dates (a bare `to` date includes that day).',
    auth: 'user',
    query: ListConversationsQuery,
    response: ConversationPage,
  }),
  get: defineRoute({
    method: 'get',
    path: '/api/conversations/:id',
    scopes: ['history:read'],
    summary:
      'One of your conversations with its turns (ordered by seq) and per-turn metrics. limit: at most that many turns, after afterSeq when given; nextSeq is the afterSeq of the next page (null when no turn follows). Without limit, every turn.',
    auth: 'user',
    params: IdParams,
    query: ConversationDetailQuery,
    response: ConversationDetail,
  }),
  delete: defineRoute({
    method: 'delete',
    path: '/api/conversations/:id',
    summary: 'Deletes one of your conversations and its turns.',
    auth: 'user',
    params: IdParams,
  }),
  export: defineRoute({
    method: 'get',
    path: '/api/conversations/:id/export',
    scopes: ['export'],
    summary:
      'Downloads a conversation (Content-Disposition: attachment) as JSON, Markdown or plain text; each format reads back into the same turns (see docs/history.md).',
    auth: 'user',
    params: IdParams,
    query: ExportQuery,
  }),
};
