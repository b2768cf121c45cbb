import type { Request } from 'express';
import type { z } from 'zod';
import { errors } from './errors';

/** zod issues as client-facing details: path and message only, never the rejected value. */
export function issueDetails(error: z.ZodError) {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw errors.validation(issueDetails(r.error));
  return r.data;
}

export const validateBody = <S extends z.ZodType>(req: Request, schema: S): z.infer<S> => parseOr400(schema, req.body);
export const validateQuery = <S extends z.ZodType>(req: Request, schema: S): z.infer<S> =>
  parseOr400(schema, req.query);
export const validateParams = <S extends z.ZodType>(req: Request, schema: S): z.infer<S> =>
  parseOr400(schema, req.params);
