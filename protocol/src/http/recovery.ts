import { z } from 'zod';
import { BackupCode, Email, Password, TotpCode } from './auth';
import { defineRoute } from './route';

/** An emailed token (43 base64url characters: 256 random bits); anything else is simply unknown. */
export const EmailedToken = z.string().min(1).max(128);

export const VerifyEmailBody = z.strictObject({ token: EmailedToken });
export const PasswordResetRequestBody = z.strictObject({ email: Email });
export const PasswordResetBody = z.strictObject({
  token: EmailedToken,
  newPassword: Password,
  /** Needed when the account has two-factor on: an authenticator code… */
  code: TotpCode.optional(),
  /** …or a backup code. */
  backupCode: BackupCode.optional(),
});

/** Email verification and password reset (docs/security.md: accounts and recovery). */
export const recoveryRoutes = {
  verifyEmail: defineRoute({
    method: 'post',
    path: '/api/auth/verify-email',
    summary: 'Follow an emailed verification link: marks that address verified (the link works once, for 24 hours).',
    body: VerifyEmailBody,
    errors: { 400: 'invalid_token (unknown, used, replaced, expired, or for an address the account no longer has)' },
  }),
  resendVerification: defineRoute({
    method: 'post',
    path: '/api/auth/verify-email/resend',
    summary: 'Send a new verification link to the account’s address (earlier links stop working).',
    auth: 'user',
    status: 202,
    errors: { 409: 'conflict (already verified)', 429: 'rate_limited' },
  }),
  requestPasswordReset: defineRoute({
    method: 'post',
    path: '/api/auth/password-reset/request',
    summary:
      'Ask for a password reset link. The same 202 for every address, known or not (the message goes out after the answer).',
    body: PasswordResetRequestBody,
    status: 202,
    errors: { 429: 'rate_limited' },
  }),
  resetPassword: defineRoute({
    method: 'post',
    path: '/api/auth/password-reset',
    summary:
      'Set a new password with an emailed reset token (works once, 30 minutes, only the newest link). Ends every session of the account; with two-factor on it also needs a code or a backup code.',
    body: PasswordResetBody,
    errors: {
      400: ['invalid_token', 'weak_password'],
      401: ['second_factor_required (the token stays usable)', 'invalid_code'],
      429: 'rate_limited',
    },
  }),
};
