import { z } from 'zod';
import { DisplayName, Email, Password } from '../auth/schema';

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
