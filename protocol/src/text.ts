import { z } from 'zod';

/**
 * A string that can be stored: PostgreSQL text cannot hold U+0000, so NUL is refused at the edge
 * (a clean 400) instead of failing in the database.
 */
export const text = () =>
  z.string().refine((s) => !s.includes('\u0000'), { message: 'Text must not contain NUL characters.' });
