import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import type { BodyOf, PasskeyInfo, User } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { sessionHint } from './auth';
import { call } from './client';

export type { PasskeyInfo };
export const passkeysSupported = () => browserSupportsWebAuthn();

export const listPasskeys = async () => (await call(api.passkeys.list)).passkeys;
export const removePasskey = (id: string) => call(api.passkeys.remove, { params: { id } });

/** Options from the server → the browser's passkey dialog → the answer back to the server. */
export async function addPasskey(): Promise<PasskeyInfo> {
  const { options } = await call(api.passkeys.registrationOptions);
  const credential = await startRegistration({
    optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON,
  });
  const body = { credential } as unknown as BodyOf<typeof api.passkeys.add>;
  return (await call(api.passkeys.add, { body })).passkey;
}

/** Signs in with any passkey of this site, no email or password asked. */
export async function signInWithPasskey(): Promise<User> {
  const { options } = await call(api.passkeys.signInOptions);
  const credential = await startAuthentication({
    optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON,
  });
  const body = { credential } as unknown as BodyOf<typeof api.passkeys.signIn>;
  const { user } = await call(api.passkeys.signIn, { body });
  sessionHint.set(true);
  return user;
}

/** The browser's own refusal (dialog cancelled, timed out, not allowed), as opposed to the server's. */
export const isPasskeyDialogError = (e: unknown) =>
  e instanceof Error && (e.name === 'NotAllowedError' || e.name === 'AbortError' || e.name === 'InvalidStateError');
