import { z } from 'zod';
import { Password, TotpCode, BackupCode } from './auth';
import { defineRoute } from './route';

export const TwoFactorStatus = z.object({
  enabled: z.boolean(),
  /** Unused backup codes left (0 when two-factor is off). */
  backupCodesLeft: z.number().int(),
});
export type TwoFactorStatus = z.infer<typeof TwoFactorStatus>;

export const TwoFactorSetup = z.object({
  /** Base32 secret, for typing into an authenticator app by hand. */
  secret: z.string(),
  /** otpauth:// URI (what the QR code holds). */
  otpauthUri: z.string(),
  /** The QR code as an SVG data URL. */
  qrCode: z.string(),
});
export type TwoFactorSetup = z.infer<typeof TwoFactorSetup>;

export const BackupCodes = z.object({ backupCodes: z.array(z.string()) });
export type BackupCodes = z.infer<typeof BackupCodes>;

export const EnableTwoFactorBody = z.strictObject({ code: TotpCode });
export const DisableTwoFactorBody = z
  .strictObject({ password: Password, code: TotpCode.optional(), backupCode: BackupCode.optional() })
  .refine((b) => (b.code === undefined) !== (b.backupCode === undefined), {
    message: 'Send either code or backupCode.',
  });
export const RegenerateBackupCodesBody = z.strictObject({ code: TotpCode });

/** Two-factor sign-in (TOTP and backup codes) of the signed-in account. */
export const twoFactorRoutes = {
  status: defineRoute({
    method: 'get',
    path: '/api/me/two-factor',
    summary: 'Whether two-factor sign-in is on, and how many backup codes are left.',
    tag: 'two-factor',
    auth: 'user',
    response: TwoFactorStatus,
  }),
  setup: defineRoute({
    method: 'post',
    path: '/api/me/two-factor/setup',
    summary:
      'Start setting up an authenticator app: a new secret, its otpauth URI and QR code. Nothing changes for sign-in until it is confirmed with a code.',
    tag: 'two-factor',
    auth: 'user',
    response: TwoFactorSetup,
    errors: { 403: 'email_unverified', 409: 'conflict (two-factor is already on)' },
  }),
  enable: defineRoute({
    method: 'post',
    path: '/api/me/two-factor/enable',
    summary: 'Confirm set-up with a current code: two-factor is on; answers ten backup codes (shown once).',
    tag: 'two-factor',
    auth: 'user',
    body: EnableTwoFactorBody,
    response: BackupCodes,
    errors: { 401: 'invalid_code', 409: 'conflict (no set-up started, or already on)', 429: 'rate_limited' },
  }),
  disable: defineRoute({
    method: 'post',
    path: '/api/me/two-factor/disable',
    summary: 'Turn two-factor off: needs the password and a current code (or a backup code).',
    tag: 'two-factor',
    auth: 'user',
    body: DisableTwoFactorBody,
    errors: {
      401: 'invalid_code',
      403: 'wrong_password',
      409: 'conflict (two-factor is off)',
      429: 'rate_limited',
    },
  }),
  regenerateBackupCodes: defineRoute({
    method: 'post',
    path: '/api/me/two-factor/backup-codes',
    summary: 'Replace the backup codes with ten new ones (every earlier code stops working); needs a current code.',
    tag: 'two-factor',
    auth: 'user',
    body: RegenerateBackupCodesBody,
    response: BackupCodes,
    errors: { 401: 'invalid_code', 409: 'conflict (two-factor is off)', 429: 'rate_limited' },
  }),
};
