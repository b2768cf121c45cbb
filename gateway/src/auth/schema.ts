import { z } from 'zod';
import { LIMITS, text } from '@parley/protocol';
import { PASSWORD_MAX_LENGTH } from '../security/passwords';

/** Trimmed before the format check; documented as format "email". */
export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'Enter a valid email address.' }))
  .meta({ format: 'email' });
/** Length is bounded before hashing; strength is checked separately (weak_password). */
export const Password = z.string().min(1).max(PASSWORD_MAX_LENGTH);
export const DisplayName = text().trim().min(1).max(LIMITS.displayName);

export const RegisterBody = z.strictObject({ email: Email, password: Password, displayName: DisplayName });
export const LoginBody = z.strictObject({ email: Email, password: Password });

export const UserView = z.object({
  id: z.string().uuid(),
  email: z.string(),
  displayName: z.string(),
  role: z.enum(['user', 'admin']),
});
export type UserView = z.infer<typeof UserView>;
export const UserEnvelope = z.object({ user: UserView });

/** The only shape a user leaves the gateway in: no hash, no epoch. */
export function presentUser(u: { id: string; email: string; displayName: string; role: 'user' | 'admin' }): UserView {
  return { id: u.id, email: u.email, displayName: u.displayName, role: u.role };
}
