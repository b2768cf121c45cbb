import { z } from 'zod';
import { IsoDateTime } from './common';
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

/**
 * One event of the account's own security activity, as its owner sees it: what happened, when,
 * from which network (coarse: IPv4 /24, IPv6 /48) and, for sign-ins, which browser. Never a
 * secret, a changed value, or who the administrator was. `byAdmin`: an administrator did it to
 * this account (a role, limit or disable change; a break-glass transcript read).
 */
export const SecurityEvent = z
  .object({
    id: z.string(),
    type: z.string(),
    at: IsoDateTime,
    ip: z.string().nullable(),
    /** e.g. "Firefox on Linux" for a sign-in; null otherwise. */
    device: z.string().nullable(),
    byAdmin: z.boolean(),
  })
  .meta({ id: 'SecurityEvent' });
export type SecurityEvent = z.infer<typeof SecurityEvent>;
export const SecurityActivity = z.object({ events: z.array(SecurityEvent) });

export const meRoutes = {
  activity: defineRoute({
    method: 'get',
    path: '/api/me/activity',
    summary:
      'Your recent security activity, newest first (at most 50): sign-ins and failed attempts, two-step and passkey changes, password and email changes, exports, imports, session sign-outs, and what an administrator did to your account.',
    auth: 'user',
    response: SecurityActivity,
  }),
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
