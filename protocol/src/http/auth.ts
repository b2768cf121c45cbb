import { z } from 'zod';
import { LIMITS } from '../preferences';
import { text } from '../text';
import { defineRoute } from './route';

/** Trimmed before the format check; documented as format "email". */
export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'Enter a valid email address.' }))
  .meta({ format: 'email' });
/** Length is bounded before hashing; strength is checked separately (weak_password). */
export const Password = z.string().min(1).max(LIMITS.password);
export const DisplayName = text().trim().min(1).max(LIMITS.displayName);

export const RegisterBody = z.strictObject({ email: Email, password: Password, displayName: DisplayName });
export const LoginBody = z.strictObject({ email: Email, password: Password });

/** The only shape a user leaves the gateway in: no hash, no epoch. */
export const User = z
  .object({
    id: z.string().uuid(),
    email: z.string(),
    displayName: z.string(),
    role: z.enum(['user', 'admin']),
    /** Whether the current email address has been proven by its emailed link. */
    emailVerified: z.boolean(),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof User>;
export const UserEnvelope = z.object({ user: User });

/** A current authenticator code (6 digits) or one of the account's backup codes (10 characters, dash optional). */
export const TotpCode = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'Enter the 6-digit code from your authenticator app.');
export const BackupCode = z
  .string()
  .trim()
  .max(32)
  .regex(/^[A-Za-z0-9 -]+$/, 'Enter one of your backup codes.');
/** Exactly one of `code` (authenticator) or `backupCode`. */
export const SecondFactorBody = z
  .strictObject({ code: TotpCode.optional(), backupCode: BackupCode.optional() })
  .refine((b) => (b.code === undefined) !== (b.backupCode === undefined), {
    message: 'Send either code or backupCode.',
  });

/** Password accepted, second factor needed: the pending sign-in is not a session (me answers 401). */
export const SecondFactorChallenge = z
  .object({
    secondFactorRequired: z.literal(true),
    methods: z.array(z.enum(['totp', 'backup_code'])),
    /** ISO time after which the pending sign-in ends and the password must be entered again. */
    expiresAt: z.string(),
  })
  .meta({ id: 'SecondFactorChallenge' });
export type SecondFactorChallenge = z.infer<typeof SecondFactorChallenge>;
export const LoginResult = z.union([UserEnvelope, SecondFactorChallenge]);

export const authRoutes = {
  register: defineRoute({
    method: 'post',
    path: '/api/auth/register',
    summary: 'Create an account and sign in (sets the session cookie).',
    body: RegisterBody,
    response: UserEnvelope,
    status: 201,
    errors: { 400: 'weak_password', 409: 'email_taken', 429: 'rate_limited' },
  }),
  login: defineRoute({
    method: 'post',
    path: '/api/auth/login',
    summary:
      'Sign in; the session id is replaced by a new one. With two-factor on, answers a challenge instead: the sign-in waits (5 minutes) for POST /api/auth/login/second-factor.',
    body: LoginBody,
    response: LoginResult,
    errors: { 401: 'invalid_credentials (same answer for an unknown email and a wrong password)', 429: 'rate_limited' },
  }),
  secondFactor: defineRoute({
    method: 'post',
    path: '/api/auth/login/second-factor',
    summary:
      'Second step of a sign-in with two-factor on: an authenticator code (a code is accepted once) or a backup code (used up). Starts the session.',
    body: SecondFactorBody,
    response: UserEnvelope,
    errors: {
      401: ['invalid_code', 'unauthenticated (no pending sign-in, or it expired: enter the password again)'],
      429: 'rate_limited (wrong codes per account)',
    },
  }),
  logout: defineRoute({
    method: 'post',
    path: '/api/auth/logout',
    summary: 'End the session server-side and clear the cookie.',
  }),
  me: defineRoute({
    method: 'get',
    path: '/api/auth/me',
    summary: 'The signed-in user.',
    auth: 'user',
    response: UserEnvelope,
  }),
};
