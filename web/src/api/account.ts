import type { BodyOf, SecurityEvent, SessionInfo, TwoFactorSetup, TwoFactorStatus } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { call } from './client';

export type { SecurityEvent, SessionInfo, TwoFactorSetup, TwoFactorStatus };

/** Email verification and password reset: the pages the emailed links open. */
export const verifyEmail = (token: string) => call(api.recovery.verifyEmail, { body: { token } });
export const resendVerification = () => call(api.recovery.resendVerification);
export const requestPasswordReset = (email: string) => call(api.recovery.requestPasswordReset, { body: { email } });
export const resetPassword = (body: BodyOf<typeof api.recovery.resetPassword>) =>
  call(api.recovery.resetPassword, { body });

/** Settings → two-step sign-in. */
export const twoFactorStatus = () => call(api.twoFactor.status);
export const startTwoFactorSetup = () => call(api.twoFactor.setup);
export const enableTwoFactor = async (code: string) =>
  (await call(api.twoFactor.enable, { body: { code } })).backupCodes;
export const disableTwoFactor = (body: BodyOf<typeof api.twoFactor.disable>) => call(api.twoFactor.disable, { body });
export const regenerateBackupCodes = async (code: string) =>
  (await call(api.twoFactor.regenerateBackupCodes, { body: { code } })).backupCodes;

/** Settings → recent security activity (the account's own audit events, newest first). */
export const listActivity = async () => (await call(api.me.activity)).events;

/** Settings → sessions and devices. */
export const listSessions = async () => (await call(api.sessions.list)).sessions;
export const revokeSession = (id: string) => call(api.sessions.revoke, { params: { id } });
export const revokeOtherSessions = () => call(api.sessions.revokeOthers);

/** The token an emailed link carries in its fragment (`#token=…`): never sent to a server by the browser. */
export function tokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  return token && token.length <= 128 ? token : null;
}
