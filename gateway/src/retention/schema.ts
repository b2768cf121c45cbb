import { z } from 'zod';

export const RetentionBody = z.object({ days: z.number().int().min(1).max(3650).nullable() }).strict();
