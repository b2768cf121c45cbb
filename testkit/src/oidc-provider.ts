/**
 * A real OpenID Connect provider for tests: panva's `oidc-provider` (the certified implementation)
 * on its own port, with a confidential test client, a second client (to mint tokens for another
 * audience), test accounts, and its built-in login and consent pages. Its issuer is
 * http://localhost:<port> while the gateway runs on 127.0.0.1: a different *site*, so the browser
 * treats the redirect back as cross-site and the session cookie must really be SameSite=Lax.
 */
import { randomBytes, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestOidcAccount {
  /** The login typed on the provider's sign-in page; also the `sub`. */
  login: string;
  email?: string;
  emailVerified?: boolean;
  name?: string;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** OIDC_<NAME>_* variables pointing a gateway at this provider. */
  env(name: string, displayName?: string): Record<string, string>;
  /** Creates the provider with the client's redirect URIs (known once the gateway listens). */
  configure(redirectUris: string[]): void;
  addAccount(account: TestOidcAccount): void;
  /**
   * Goes through the provider's real login and consent pages over HTTP as `login` (or cancels at
   * the login page) and returns the URL the provider redirects back to.
   */
  authorize(authorizationUrl: string, login: string, options?: { cancel?: boolean }): Promise<URL>;
  /** An ID token for the provider's *other* client (another audience), carrying `nonce`. */
  idTokenForOtherClient(login: string, nonce: string): Promise<string>;
  /** The next token response carries this ID token instead of the one the provider issued. */
  replaceNextIdToken(idToken: string): void;
  /** Token requests answered so far (each code exchange). */
  readonly tokenRequests: number;
  stop(): Promise<void>;
}

const OTHER_CLIENT = { id: 'other-app', secret: 'other-app-secret-0123456789', redirect: 'http://127.0.0.1:9/cb' };

/** Starts the HTTP server now; call configure() with the relying party's callback URLs next. */
export async function startTestOidcProvider(): Promise<TestOidcProvider> {
  const accounts = new Map<string, TestOidcAccount>();
  const clientId = `parley-${randomBytes(3).toString('hex')}`;
  const clientSecret = randomBytes(24).toString('base64url');
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  let swapIdToken: string | null = null;
  let tokenRequests = 0;

  const server: Server = createServer((req, res) => {
    if (!handler) {
      res.writeHead(503).end('provider not configured');
      return;
    }
    if (req.method === 'POST' && req.url?.startsWith('/token')) {
      tokenRequests += 1;
      if (swapIdToken) rewriteIdToken(res, swapIdToken);
      swapIdToken = null;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;

  const provider: TestOidcProvider = {
    issuer,
    clientId,
    clientSecret,
    env: (name, displayName) => ({
      [`OIDC_${name}_ISSUER`]: issuer,
      [`OIDC_${name}_CLIENT_ID`]: clientId,
      [`OIDC_${name}_CLIENT_SECRET`]: clientSecret,
      ...(displayName ? { [`OIDC_${name}_DISPLAY_NAME`]: displayName } : {}),
    }),
    configure(redirectUris) {
      const op = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: redirectUris,
            token_endpoint_auth_method: 'client_secret_post',
          },
          {
            client_id: OTHER_CLIENT.id,
            client_secret: OTHER_CLIENT.secret,
            redirect_uris: [OTHER_CLIENT.redirect],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
        findAccount: (_ctx, sub) => {
          const a = accounts.get(sub);
          if (!a) return undefined;
          return {
            accountId: sub,
            claims: () => ({
              sub,
              ...(a.email !== undefined ? { email: a.email, email_verified: a.emailVerified ?? false } : {}),
              ...(a.name !== undefined ? { name: a.name } : {}),
            }),
          };
        },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
        cookies: { keys: [randomBytes(16).toString('hex')] },
        pkce: { required: () => true },
        features: { devInteractions: { enabled: true } },
      });
      op.on('server_error', (_ctx, err) => console.error('oidc-provider server_error', err));
      handler = op.callback();
    },
    addAccount: (a) => void accounts.set(a.login, a),
    authorize: (url, login, options) => drive(issuer, url, login, options?.cancel ?? false),
    async idTokenForOtherClient(login, nonce) {
      const verifier = randomBytes(32).toString('base64url');
      const auth = new URL('/auth', issuer);
      auth.search = new URLSearchParams({
        client_id: OTHER_CLIENT.id,
        redirect_uri: OTHER_CLIENT.redirect,
        response_type: 'code',
        scope: 'openid email',
        state: randomBytes(8).toString('hex'),
        nonce,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      const back = await drive(issuer, auth.toString(), login, false);
      const code = back.searchParams.get('code');
      if (!code) throw new Error(`no code for the other client: ${back}`);
      const r = await fetch(new URL('/token', issuer), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: OTHER_CLIENT.redirect,
          code_verifier: verifier,
          client_id: OTHER_CLIENT.id,
          client_secret: OTHER_CLIENT.secret,
        }),
      });
      const body = (await r.json()) as { id_token?: string };
      if (!body.id_token) throw new Error(`no ID token for the other client: ${JSON.stringify(body)}`);
      return body.id_token;
    },
    replaceNextIdToken: (t) => void (swapIdToken = t),
    get tokenRequests() {
      return tokenRequests;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return provider;
}

/** Swaps `id_token` in the JSON the provider is about to send (a dishonest or compromised token endpoint). */
function rewriteIdToken(res: ServerResponse, idToken: string): void {
  const chunks: Buffer[] = [];
  const end = res.end.bind(res);
  res.write = ((chunk: string | Buffer) => {
    chunks.push(Buffer.from(chunk));
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: string | Buffer) => {
    if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk));
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    if (body.id_token) body.id_token = idToken;
    const out = JSON.stringify(body);
    res.setHeader('content-length', Buffer.byteLength(out));
    return end(out);
  }) as typeof res.end;
}

/**
 * Follows the provider's redirects, submitting its sign-in form (any password: the built-in pages
 * check only that the account exists) and its consent form, with the provider's own cookies, until
 * it redirects somewhere else: the relying party's callback.
 */
async function drive(issuer: string, start: string, login: string, cancel: boolean): Promise<URL> {
  const jar = new Map<string, string>();
  const origin = new URL(issuer).origin;
  let url = new URL(start);
  let init: RequestInit = {};
  for (let hop = 0; hop < 12; hop++) {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const value = pair!.slice(i + 1);
      if (value) jar.set(pair!.slice(0, i), value);
      else jar.delete(pair!.slice(0, i));
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url);
      init = {};
      if (url.origin !== origin) return url;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200)
      throw new Error(`provider answered ${res.status} at ${url.pathname}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no form on the provider's page ${url.pathname}`);
    if (cancel) {
      const abort = /href="([^"]*\/abort)"/.exec(html)?.[1];
      if (!abort) throw new Error('no cancel link on the provider page');
      url = new URL(abort.replace(/&amp;/g, '&'), url);
      init = {};
      continue;
    }
    const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any' } : { prompt };
    url = new URL(action.replace(/&amp;/g, '&'), url);
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    };
  }
  throw new Error('the provider kept redirecting');
}
