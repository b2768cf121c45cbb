import type { Request } from 'express';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Passkey } from '@parley/db';
import type { PasskeyInfo, WebAuthnOptions } from '@parley/protocol';
import type { AppContext } from '../context';
import { AppError } from '../http/errors';
import { expectedOrigin } from '../security/origin';

/** How long a ceremony's challenge stays usable. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/** One answer for every refusal: which check failed is for the log, not for the caller. */
export const passkeyFailed = (status: 400 | 401) =>
  new AppError(status, 'passkey_failed', 'The passkey could not be verified. Try again.');

/** The WebAuthn user handle: the account id's 16 bytes (no name or email goes to the authenticator). */
const userHandle = (userId: string) => new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));
const userIdOfHandle = (handle: string) => {
  const hex = Buffer.from(handle, 'base64url').toString('hex');
  return hex.length === 32
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : null;
};

/** The relying party: this site's origin (PUBLIC_URL, else the request's) and its host name as RP ID. */
function relyingParty(ctx: AppContext, req: Request): { origin: string; rpID: string } {
  const origin = expectedOrigin(req, ctx.config);
  if (!origin) throw passkeyFailed(400);
  return { origin, rpID: new URL(origin).hostname };
}

/** The challenge inside a response's clientDataJSON, or null when it does not parse. */
function challengeOf(clientDataJSON: string): string | null {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' ? data.challenge : null;
  } catch {
    return null;
  }
}

export const presentPasskey = (p: Passkey): PasskeyInfo => ({
  id: p.id,
  name: p.name,
  createdAt: p.createdAt.toISOString(),
  lastUsedAt: p.lastUsedAt ? p.lastUsedAt.toISOString() : null,
  backedUp: p.backedUp,
});

/**
 * Passkeys through @simplewebauthn/server. Every challenge is stored (webauthn_challenges) and
 * taken out by the response that carries it, before anything else is checked: a response works
 * once, within CHALLENGE_TTL_MS, for the purpose (and account) it was issued to.
 */
export function passkeyService(ctx: AppContext) {
  const repo = ctx.repos.passkeys;

  return {
    async registrationOptions(req: Request, user: { id: string; email: string; displayName: string }) {
      const { rpID } = relyingParty(ctx, req);
      const existing = await repo.list(user.id);
      const options = await generateRegistrationOptions({
        rpName: 'Parley',
        rpID,
        userID: userHandle(user.id),
        userName: user.email,
        userDisplayName: user.displayName,
        attestationType: 'none',
        excludeCredentials: existing.map((p) => ({
          id: p.credentialId,
          transports: p.transports,
        })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
      await repo.issueChallenge(options.challenge, 'register', user.id, new Date(Date.now() + CHALLENGE_TTL_MS));
      return options as unknown as WebAuthnOptions['options'];
    },

    /** The new passkey, or null when the response does not verify (a reason is logged). */
    async register(req: Request, userId: string, credential: RegistrationResponseJSON, name: string) {
      const { origin, rpID } = relyingParty(ctx, req);
      const challenge = challengeOf(credential.response.clientDataJSON);
      if (!challenge || !(await repo.consumeChallenge(challenge, 'register', userId))) {
        req.log.info({ userId, reason: 'challenge' }, 'passkey registration refused');
        return null;
      }
      let verified;
      try {
        verified = await verifyRegistrationResponse({
          response: credential,
          expectedChallenge: challenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          requireUserVerification: true,
        });
      } catch (err) {
        req.log.info({ userId, reason: (err as Error).name }, 'passkey registration refused');
        return null;
      }
      if (!verified.verified) return null;
      const info = verified.registrationInfo;
      return repo.add({
        userId,
        credentialId: info.credential.id,
        publicKey: info.credential.publicKey,
        counter: info.credential.counter,
        transports: info.credential.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        name,
      });
    },

    async signInOptions(req: Request) {
      const { rpID } = relyingParty(ctx, req);
      // No allowCredentials: the browser offers any passkey of this site (a discoverable credential).
      const options = await generateAuthenticationOptions({ rpID, userVerification: 'required' });
      await repo.issueChallenge(options.challenge, 'authenticate', null, new Date(Date.now() + CHALLENGE_TTL_MS));
      return options as unknown as WebAuthnOptions['options'];
    },

    /** The passkey that signed, once its signature, challenge, origin and counter all check out; else null. */
    async authenticate(req: Request, credential: AuthenticationResponseJSON): Promise<Passkey | null> {
      const { origin, rpID } = relyingParty(ctx, req);
      const challenge = challengeOf(credential.response.clientDataJSON);
      if (!challenge || !(await repo.consumeChallenge(challenge, 'authenticate', null))) {
        req.log.info({ reason: 'challenge' }, 'passkey sign-in refused');
        return null;
      }
      const passkey = await repo.findByCredentialId(credential.id);
      if (!passkey) {
        req.log.info({ reason: 'unknown_credential' }, 'passkey sign-in refused');
        return null;
      }
      // The authenticator names the account it holds the passkey for: it must be the passkey's own.
      const handle = credential.response.userHandle;
      if (handle !== undefined && userIdOfHandle(handle) !== passkey.userId) {
        req.log.info({ userId: passkey.userId, reason: 'user_handle' }, 'passkey sign-in refused');
        return null;
      }
      let verified;
      try {
        verified = await verifyAuthenticationResponse({
          response: credential,
          expectedChallenge: challenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          credential: {
            id: passkey.credentialId,
            publicKey: passkey.publicKey,
            counter: passkey.counter,
            transports: passkey.transports,
          },
          requireUserVerification: true,
        });
      } catch (err) {
        req.log.info({ userId: passkey.userId, reason: (err as Error).name }, 'passkey sign-in refused');
        return null;
      }
      if (!verified.verified) return null;
      const { newCounter, credentialBackedUp } = verified.authenticationInfo;
      // Counter check as one conditional write: a cloned authenticator (or a raced replay) loses here.
      if (!(await repo.recordUse(passkey.id, newCounter, credentialBackedUp))) {
        req.log.warn({ userId: passkey.userId, reason: 'counter' }, 'passkey sign-in refused');
        return null;
      }
      return passkey;
    },
  };
}
