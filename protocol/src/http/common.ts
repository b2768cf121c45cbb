import { z } from 'zod';

/** Shared pieces of the HTTP contract. */

/** Dates travel as ISO 8601 strings with a time zone (`Date#toISOString()`). */
export const IsoDateTime = z.string().describe('ISO 8601 date-time');

export const Uuid = z.string().uuid();

/** Ids are UUIDs in any letter case; anything else cannot exist, so a path naming it is a 404. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A path parameter holding an id: UUID-shaped (any case), lower-cased. */
export const IdParams = z.object({
  id: z
    .string()
    .regex(UUID_RE)
    .transform((s) => s.toLowerCase()),
});
