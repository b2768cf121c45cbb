import { z } from 'zod';

/** Query and path schemas for /api/conversations. Types come from z.infer. */

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

/** Conversation ids are UUIDs; anything else cannot exist, so it is a 404 like a foreign id. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
