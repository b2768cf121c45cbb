import { z } from 'zod';

/**
 * Stable, snake_case error codes: the one list. Clients branch on these, never on message text
 * (messages are for people and may change). docs/api.md lists them with these explanations.
 */
export const ERROR_CODES = {
  validation_failed: 'The body, query or path does not match the schema; `details` lists `{ path, message }`.',
  invalid_json: 'The body is not valid JSON (or, for an import, the file is damaged).',
  payload_too_large: 'The body is over the route’s size limit.',
  unsupported_media_type: 'The body’s character set or encoding cannot be read.',
  unauthenticated: 'No valid session (or service credential) for a route that needs one.',
  invalid_credentials: 'Login refused: unknown email or wrong password (the same answer for both).',
  wrong_password:
    'A signed-in user’s re-entered current password is wrong (email change, password change, account deletion).',
  insufficient_scope: 'The API token lacks the scope this route needs (the route says which).',
  token_not_allowed:
    'This route takes the session cookie only, not an API token (token management, password, account).',
  forbidden_origin: 'A write came from another site (CSRF guard).',
  not_found: 'No such route or resource, or one that belongs to someone else.',
  conflict: 'The request conflicts with the current state.',
  call_ended: 'The call has ended (it cannot be rejoined).',
  email_taken: 'Another account already uses this email.',
  weak_password: 'The new password is too guessable; `details` says why.',
  password_already_set: 'The account has a password already: change it with the current one.',
  last_sign_in_method: 'Unlinking this sign-in method would leave the account with no way to sign in.',
  invalid_token:
    'An emailed link’s token is unknown, already used, replaced by a newer one or expired (one answer for all).',
  second_factor_required: 'The account has two-factor sign-in on: send a current authenticator code or a backup code.',
  invalid_code: 'The authenticator code or backup code is wrong, already used, or a replay of an accepted code.',
  passkey_failed:
    'A passkey could not be verified: unknown passkey, used or expired challenge, wrong origin, bad signature or a counter that did not move forward (one answer for all).',
  email_unverified: 'Verify your email address first (follow the link in the message Parley sent).',
  webhook_url_refused:
    'A webhook endpoint URL Parley will not call: not https, not public after DNS resolution, or not resolvable; `details.reason` says which.',
  admin_only: 'Only an admin may do this (e.g. an instance-wide webhook endpoint).',
  account_disabled:
    'Sign-in refused: an admin has disabled this account (its sessions and API tokens ended with it) until they enable it again.',
  own_account: 'An admin cannot disable, delete or demote their own account from the admin console.',
  unknown_voice: 'The voice is not offered by the active text-to-speech provider (see GET /api/voices).',
  unsupported_language: 'The language is not one Parley speaks (see GET /api/languages).',
  preview_failed: 'The text-to-speech provider did not answer the voice preview; try again shortly.',
  unsupported_version: 'An import file of another format or version.',
  rate_limited: 'Too many attempts; `Retry-After` says when to try again.',
  quota_exceeded:
    'Your call minutes for the day (UTC) are used up; `details` has `limitMinutes`, `usedMinutes` and `resetsAt`, the next UTC midnight (`Retry-After` until then).',
  guest_limit_reached:
    'Guest calls from this network are used up for today; `details` has `limit` and `resetsAt` (`Retry-After` until then). Signing in is not limited by it.',
  service_unavailable: 'A service Parley depends on is unreachable; retry shortly (`Retry-After`).',
  internal_error: 'A bug on Parley’s side (logged).',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ErrorCode = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** The one error shape of every 4xx/5xx answer. */
export const ApiErrorBody = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'ApiError' });
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
