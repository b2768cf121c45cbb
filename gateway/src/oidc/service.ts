import * as client from 'openid-client';
import type { Logger } from 'pino';
import type { ProviderAccount } from '@parley/db';
import type { OidcErrorCode } from '@parley/protocol';
import type { OidcProviderConfig } from './config';

/** A sign-in or link that did not happen, with the code the browser is redirected with. */
export class OidcFailure extends Error {
  constructor(
    readonly code: OidcErrorCode,
    /** For the server log only (never shown): which check refused, or the library's error code. */
    readonly reason: string,
  ) {
    super(code);
    this.name = 'OidcFailure';
  }
}

/** What the browser's pre-login session keeps between the redirect out and the callback. */
export interface PendingFlow {
  state: string;
  provider: string;
  codeVerifier: string;
  nonce: string;
  /** Same-origin path to land on afterwards (already checked). */
  next: string | null;
  mode: 'login' | 'link';
  /** For a link: the user who started it; the callback must arrive in that user's session. */
  userId?: string;
  createdAt: number;
}

export interface VerifiedAccount extends ProviderAccount {
  displayName: string;
}

/**
 * The OpenID Connect relying party: discovery (cached per provider, retried after a failure),
 * authorization URLs with PKCE (S256), state and nonce, and the code exchange, whose ID token
 * signature, issuer, audience, expiry and nonce openid-client checks.
 */
export class OidcService {
  private readonly configurations = new Map<string, Promise<client.Configuration>>();
  private readonly byId: Map<string, OidcProviderConfig>;

  constructor(
    readonly providers: OidcProviderConfig[],
    private readonly logger: Logger,
    /** Lets http:// issuers through (development and tests); production config requires https. */
    private readonly allowHttp: boolean,
  ) {
    this.byId = new Map(providers.map((p) => [p.id, p]));
  }

  provider(id: string): OidcProviderConfig | undefined {
    return this.byId.get(id);
  }

  private configuration(p: OidcProviderConfig): Promise<client.Configuration> {
    let pending = this.configurations.get(p.id);
    if (!pending) {
      const options: client.DiscoveryRequestOptions = { timeout: 10 };
      if (this.allowHttp) options.execute = [client.allowInsecureRequests];
      pending = client.discovery(new URL(p.issuer), p.clientId, p.clientSecret, undefined, options);
      this.configurations.set(p.id, pending);
      pending.catch(() => this.configurations.delete(p.id)); // a later attempt discovers again
    }
    return pending;
  }

  /** A new flow (fresh state, nonce and PKCE verifier) and the provider URL to send the browser to. */
  async begin(
    p: OidcProviderConfig,
    redirectUri: string,
    flow: Pick<PendingFlow, 'mode' | 'next' | 'userId'>,
  ): Promise<{ url: URL; pending: PendingFlow }> {
    const config = await this.configuration(p).catch((err: unknown) => {
      throw this.failure(p, err, 'discovery');
    });
    const pending: PendingFlow = {
      ...flow,
      state: client.randomState(),
      provider: p.id,
      codeVerifier: client.randomPKCECodeVerifier(),
      nonce: client.randomNonce(),
      createdAt: Date.now(),
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: p.scopes,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url, pending };
  }

  /**
   * Exchanges the code from `callbackUrl` (the fixed redirect URI plus the query the provider sent)
   * and returns the provider account the verified ID token (and userinfo) describe.
   */
  async finish(p: OidcProviderConfig, callbackUrl: URL, pending: PendingFlow): Promise<VerifiedAccount> {
    const config = await this.configuration(p).catch((err: unknown) => {
      throw this.failure(p, err, 'discovery');
    });
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw this.failure(p, err, 'token');
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcFailure('oidc_token_invalid', 'no_id_token');
    let info: Record<string, unknown> = claims;
    if (claims.email === undefined && tokens.access_token) {
      // Many providers (and oidc-provider by default) send profile claims only from userinfo.
      try {
        // fetchUserInfo checks that userinfo's `sub` is the ID token's; the ID token's claims win.
        info = { ...(await client.fetchUserInfo(config, tokens.access_token, claims.sub)), ...claims };
      } catch (err) {
        throw this.failure(p, err, 'userinfo');
      }
    }
    return accountFrom(p, claims, info);
  }

  /** Maps a library error to what the user is told; the reason goes to the log only. */
  private failure(p: OidcProviderConfig, err: unknown, stage: string): OidcFailure {
    let code: OidcErrorCode = 'oidc_provider_error';
    let reason = 'unknown';
    if (err instanceof client.AuthorizationResponseError) {
      code = err.error === 'access_denied' ? 'oidc_denied' : 'oidc_provider_error';
      reason = `authorization_error:${err.error}`;
    } else if (err instanceof client.ResponseBodyError) {
      reason = `${stage}_error:${err.error}`;
    } else if (err instanceof client.ClientError) {
      // Checks of the provider's answer: state, ID token signature/iss/aud/exp/nonce, PKCE, etc.
      code = stage === 'discovery' ? 'oidc_provider_unreachable' : 'oidc_token_invalid';
      reason = `${err.code ?? 'client_error'}: ${err.message}${checkedClaim(err)}`;
    } else if (err instanceof TypeError || (err as { name?: string })?.name === 'TimeoutError') {
      code = 'oidc_provider_unreachable';
      reason = `network: ${(err as Error).message}`;
    }
    this.logger.warn({ provider: p.id, stage, code, reason }, 'OpenID Connect sign-in refused');
    return new OidcFailure(code, reason);
  }
}

/** Which claim a failed JWT check was about (`claim: aud`), from the library's error causes; never values. */
function checkedClaim(err: Error): string {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const claim = (e as { claim?: unknown }).claim;
    if (typeof claim === 'string') return ` (claim: ${claim})`;
  }
  return '';
}

type Claims = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

/** The provider account from verified claims: who it is (sub, or tid+oid), its email and a name. */
export function accountFrom(p: OidcProviderConfig, idToken: Claims, info: Claims): VerifiedAccount {
  let subject = str(idToken.sub);
  if (p.subjectFrom === 'tid_oid') {
    const tid = str(idToken.tid);
    const oid = str(idToken.oid);
    subject = tid && oid ? `${tid}:${oid}` : null;
  }
  if (!subject) throw new OidcFailure('oidc_token_invalid', `missing subject (${p.subjectFrom})`);
  const email = str(info.email);
  const emailVerified = email !== null && (info.email_verified === true || info.email_verified === 'true');
  const displayName = (str(info.name) ?? str(info.preferred_username) ?? email?.split('@')[0] ?? p.displayName).slice(
    0,
    80,
  );
  return { provider: p.id, subject, email, emailVerified, displayName };
}
