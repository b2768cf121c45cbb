import { z } from 'zod';
import { UserEnvelope } from './auth';
import { IsoDateTime } from './common';
import { defineRoute } from './route';

/** One passkey of the account, as its owner sees it (never the public key). */
export const PasskeyInfo = z
  .object({
    id: z.string().uuid(),
    /** e.g. "Chrome on Linux": the device it was added from. */
    name: z.string(),
    createdAt: IsoDateTime,
    lastUsedAt: IsoDateTime.nullable(),
    /** Synced by a passkey provider (multi-device), not bound to one authenticator. */
    backedUp: z.boolean(),
  })
  .meta({ id: 'PasskeyInfo' });
export type PasskeyInfo = z.infer<typeof PasskeyInfo>;
export const PasskeyList = z.object({ passkeys: z.array(PasskeyInfo) });

const b64url = z
  .string()
  .min(1)
  .max(16_384)
  .regex(/^[A-Za-z0-9_-]+={0,2}$/, 'base64url');

/**
 * WebAuthn options for the browser (`PublicKeyCredentialCreationOptionsJSON` /
 * `…RequestOptionsJSON`, as @simplewebauthn/browser takes them). Its challenge works once, for 5 minutes.
 */
export const WebAuthnOptions = z
  .object({ options: z.looseObject({ challenge: z.string(), rpId: z.string().optional() }) })
  .meta({ id: 'WebAuthnOptions' });
export type WebAuthnOptions = z.infer<typeof WebAuthnOptions>;

/** What `startRegistration()` answers (RegistrationResponseJSON). */
export const RegistrationCredential = z.looseObject({
  id: b64url,
  rawId: b64url,
  type: z.literal('public-key'),
  response: z.looseObject({
    clientDataJSON: b64url,
    attestationObject: b64url,
    transports: z.array(z.string().max(32)).max(10).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).optional(),
  authenticatorAttachment: z.string().max(32).optional(),
});
/** What `startAuthentication()` answers (AuthenticationResponseJSON). */
export const AuthenticationCredential = z.looseObject({
  id: b64url,
  rawId: b64url,
  type: z.literal('public-key'),
  response: z.looseObject({
    clientDataJSON: b64url,
    authenticatorData: b64url,
    signature: b64url,
    userHandle: b64url.optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).optional(),
  authenticatorAttachment: z.string().max(32).optional(),
});

export const AddPasskeyBody = z.strictObject({ credential: RegistrationCredential });
export const PasskeySignInBody = z.strictObject({ credential: AuthenticationCredential });
export const PasskeyIdParams = z.object({ id: z.string().uuid() });

/** Passkeys: add while signed in, sign in with one alone, list, remove (docs/security.md: passkeys). */
export const passkeysRoutes = {
  list: defineRoute({
    method: 'get',
    path: '/api/me/passkeys',
    summary: 'Your passkeys (oldest first).',
    tag: 'passkeys',
    auth: 'user',
    response: PasskeyList,
  }),
  registrationOptions: defineRoute({
    method: 'post',
    path: '/api/me/passkeys/registration-options',
    summary:
      'Start adding a passkey: WebAuthn creation options (a discoverable credential with user verification; your existing passkeys excluded).',
    tag: 'passkeys',
    auth: 'user',
    response: WebAuthnOptions,
    errors: { 429: 'rate_limited' },
  }),
  add: defineRoute({
    method: 'post',
    path: '/api/me/passkeys',
    summary:
      'Finish adding a passkey: the authenticator’s answer to the options, checked against their challenge (once, within 5 minutes), this origin and relying party.',
    tag: 'passkeys',
    auth: 'user',
    body: AddPasskeyBody,
    response: z.object({ passkey: PasskeyInfo }),
    status: 201,
    errors: { 400: 'passkey_failed', 409: 'conflict (that passkey is already registered)', 429: 'rate_limited' },
  }),
  remove: defineRoute({
    method: 'delete',
    path: '/api/me/passkeys/:id',
    summary: 'Remove one of your passkeys (another account’s passkey id is an unknown id: 404).',
    tag: 'passkeys',
    auth: 'user',
    params: PasskeyIdParams,
  }),
  signInOptions: defineRoute({
    method: 'post',
    path: '/api/auth/passkey/options',
    summary: 'Start signing in with a passkey: WebAuthn request options for any passkey of this site (no email asked).',
    tag: 'passkeys',
    response: WebAuthnOptions,
    errors: { 429: 'rate_limited' },
  }),
  signIn: defineRoute({
    method: 'post',
    path: '/api/auth/passkey',
    summary:
      'Sign in with a passkey alone (user verification required, so it stands in for password and second factor); the session id is replaced by a new one.',
    tag: 'passkeys',
    body: PasskeySignInBody,
    response: UserEnvelope,
    errors: {
      401: 'passkey_failed (unknown passkey, used or expired challenge, bad signature, counter not moving forward)',
      429: 'rate_limited',
    },
  }),
};
