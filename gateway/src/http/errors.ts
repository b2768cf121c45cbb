import type { ErrorCode } from '@parley/protocol';

/** An error the client is meant to see: status, stable code, safe message, optional details. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

export const errors = {
  validation: (details: unknown, message = 'The request is not valid.') =>
    new AppError(400, 'validation_failed', message, details),
  invalidJson: () => new AppError(400, 'invalid_json', 'The request body is not valid JSON.'),
  unauthenticated: (message = 'You need to log in.') => new AppError(401, 'unauthenticated', message),
  invalidCredentials: () => new AppError(401, 'invalid_credentials', 'Email or password is incorrect.'),
  /**
   * A signed-in user re-entered a wrong current password (email or password change, account
   * deletion). 403, not 401: the session is valid (RFC 9110: 401 means the request lacks valid
   * authentication, and the client treats 401 as a lost session); the action is refused.
   */
  wrongPassword: () => new AppError(403, 'wrong_password', 'The current password is incorrect.'),
  forbiddenOrigin: () => new AppError(403, 'forbidden_origin', 'This request came from another site and was refused.'),
  tokenNotAllowed: () =>
    new AppError(403, 'token_not_allowed', 'This route takes the session cookie only, not an API token.'),
  insufficientScope: (needed: readonly string[]) =>
    new AppError(403, 'insufficient_scope', `The API token lacks the scope this route needs.`, { needed }),
  /** Sign-in by any method refused while an admin has the account disabled. */
  accountDisabled: () =>
    new AppError(
      403,
      'account_disabled',
      'This account has been disabled by an administrator. Contact them to enable it.',
    ),
  ownAccount: (message: string) => new AppError(400, 'own_account', message),
  notFound: (what = 'Resource') => new AppError(404, 'not_found', `${what} not found.`),
  conflict: (code: ErrorCode, message: string) => new AppError(409, code, message),
  payloadTooLarge: () => new AppError(413, 'payload_too_large', 'The request body is too large.'),
  unsupportedMediaType: () => new AppError(415, 'unsupported_media_type', 'Send the request body as application/json.'),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError(
      429,
      'rate_limited',
      'Too many attempts. Try again later.',
      { retryAfterSeconds },
      {
        'Retry-After': String(retryAfterSeconds),
      },
    ),
  /** Monthly call minutes used up (docs/operations.md, Quotas). */
  quotaExceeded: (
    details: { limitMinutes: number; usedMinutes: number; resetsAt: string },
    retryAfterSeconds: number,
  ) =>
    new AppError(
      429,
      'quota_exceeded',
      `Your ${details.limitMinutes} call minutes for this month are used up. They renew on ${details.resetsAt.slice(0, 10)}.`,
      details,
      { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    ),
  /** Guest calls per client IP per day used up (docs/operations.md, Quotas). */
  guestLimitReached: (limit: number, retryAfterSeconds: number) => {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    return new AppError(
      429,
      'guest_limit_reached',
      `Guest calls from your network are used up for today (${limit} a day). Sign in, or try again later.`,
      { limit, resetsAt: new Date(Date.now() + seconds * 1000).toISOString() },
      { 'Retry-After': String(seconds) },
    );
  },
  unavailable: (message = 'A service Parley depends on is unavailable. Try again shortly.') =>
    new AppError(503, 'service_unavailable', message, undefined, { 'Retry-After': '5' }),
};
