import { z } from 'zod';

/** Stable, snake_case error codes. Clients branch on these, never on message text. */
export const ErrorCode = z.enum([
  'validation_failed',
  'invalid_json',
  'payload_too_large',
  'unauthenticated',
  'invalid_credentials',
  'forbidden_origin',
  'not_found',
  'conflict',
  'call_ended',
  'email_taken',
  'weak_password',
  'last_sign_in_method',
  'password_already_set',
  'rate_limited',
  'unsupported_media_type',
  'unsupported_version',
  'service_unavailable',
  'internal_error',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ApiErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
