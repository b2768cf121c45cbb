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
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof User>;
export const UserEnvelope = z.object({ user: User });

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
    summary: 'Sign in; the session id is replaced by a new one.',
    body: LoginBody,
    response: UserEnvelope,
    errors: { 401: 'invalid_credentials (same answer for an unknown email and a wrong password)', 429: 'rate_limited' },
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
