import { z } from 'zod';
import { defineRoute } from './route';
import { DisplayName, Email, Password, UserEnvelope } from './auth';

export const PatchMeBody = z
  .strictObject({
    displayName: DisplayName.optional(),
    email: Email.optional(),
    /** Required when email changes: the current password. */
    password: Password.optional(),
  })
  .refine((b) => b.displayName !== undefined || b.email !== undefined, {
    message: 'Send displayName and/or email.',
  });

export const ChangePasswordBody = z.strictObject({ currentPassword: Password, newPassword: Password });

export const meRoutes = {
  update: defineRoute({
    method: 'patch',
    path: '/api/me',
    summary: 'Change display name and/or email (an email change needs the current password).',
    auth: 'user',
    body: PatchMeBody,
    response: UserEnvelope,
    errors: {
      400: 'validation_failed (password missing for an email change)',
      403: 'wrong_password (the current password)',
      409: 'email_taken',
      429: 'rate_limited',
    },
  }),
  changePassword: defineRoute({
    method: 'post',
    path: '/api/me/password',
    summary: "Change password; ends the user's other sessions and renews this one.",
    auth: 'user',
    body: ChangePasswordBody,
    errors: { 400: 'weak_password', 403: 'wrong_password (the current password)', 429: 'rate_limited' },
  }),
};
