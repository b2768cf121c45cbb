import { Router, type Request, type Response } from 'express';
import { IdentityIdParams, IdentityList, LinkStart, OidcProviderList, ProviderIdParams } from '@parley/protocol';
import type { AppContext } from '../context';
import { requireUser } from '../auth/current-user';
import { startUserSession } from '../auth/user-session';
import { AppError, errors } from '../http/errors';
import { validateParams } from '../http/validate';
import { registerRoute } from '../openapi/registry';
import type { OidcProviderConfig } from './config';
import { rememberFlow, sameOriginPath, takeFlow } from './flows';
import { OidcFailure, OidcService, type PendingFlow } from './service';
import { completeLink, completeLogin, presentIdentity } from './accounts';
import { initialPasswordRouter } from './initial-password';

registerRoute({
  method: 'get',
  path: '/api/auth/providers',
  summary: 'The OpenID Connect providers offered for sign-in (an empty list when none is configured).',
  response: OidcProviderList,
});
registerRoute({
  method: 'get',
  path: '/api/auth/oidc/:provider/start',
  summary:
    'Browser navigation: starts a sign-in (PKCE, state, nonce kept in this session) and redirects (303) to the provider. Optional `next`: a same-origin path to land on.',
  status: 303,
});
registerRoute({
  method: 'get',
  path: '/api/auth/oidc/:provider/callback',
  summary:
    "The provider's redirect back (the provider's fixed redirect URI). Redirects (303) into the app, or to /login?oidc_error=<code> (link: /settings?oidc_error=<code>) when refused.",
  status: 303,
});
registerRoute({
  method: 'get',
  path: '/api/me/identities',
  summary: 'Provider accounts linked to the signed-in user, and whether the user has a password.',
  auth: 'user',
  response: IdentityList,
});
registerRoute({
  method: 'post',
  path: '/api/me/identities/:provider/link',
  summary: 'Starts linking a provider account to the signed-in user; answers the URL to send the browser to.',
  auth: 'user',
  response: LinkStart,
  errors: { 503: 'service_unavailable (the provider cannot be reached)' },
});
registerRoute({
  method: 'delete',
  path: '/api/me/identities/:id',
  summary: 'Removes a linked identity, unless it is the last way to sign in.',
  auth: 'user',
  errors: { 409: 'last_sign_in_method (no password and no other linked provider)' },
});

const notConfigured = () => errors.notFound('Sign-in provider');

/**
 * Sign-in and linking with OpenID Connect providers (authorization code + PKCE, state, nonce), and
 * the linked identities of the signed-in user. Flows are bound to the browser's session cookie
 * (SameSite=Lax, so it comes back on the provider's top-level redirect) and single-use.
 */
export function oidcRouter(ctx: AppContext): Router {
  const router = Router();
  router.use(initialPasswordRouter(ctx));
  const oidc = new OidcService(ctx.config.oidcProviders, ctx.logger, !ctx.config.production);

  /** The callback URL registered at the provider: PUBLIC_URL, else the address this gateway listens on. */
  const redirectUri = (req: Request, p: OidcProviderConfig) => {
    const base = ctx.config.publicUrl ?? `http://${ctx.config.host}:${req.socket.localPort}`;
    return new URL(`/api/auth/oidc/${p.id}/callback`, base).toString();
  };

  const providerFrom = (req: Request) => {
    const { provider } = validateParams(req, ProviderIdParams);
    const p = oidc.provider(provider);
    if (!p) throw notConfigured();
    return p;
  };

  const refuse = async (req: Request, res: Response, failure: OidcFailure, mode: PendingFlow['mode'], p?: string) => {
    await ctx.repos.audit.record({
      userId: req.user?.id ?? null,
      type: 'oidc_failed',
      ip: req.ip,
      details: { provider: p ?? null, code: failure.code, mode },
    });
    req.log.info({ provider: p, code: failure.code, reason: failure.reason, mode }, 'OpenID Connect flow refused');
    const target = mode === 'link' ? '/settings' : '/login';
    res.redirect(303, `${target}?oidc_error=${failure.code}${mode === 'link' ? '#security' : ''}`);
  };

  router.get('/api/auth/providers', (_req, res) => {
    res.json({
      providers: oidc.providers.map((p) => ({
        id: p.id,
        displayName: p.displayName,
        startUrl: `/api/auth/oidc/${p.id}/start`,
      })),
    });
  });

  router.get('/api/auth/oidc/:provider/start', async (req, res) => {
    const p = providerFrom(req);
    try {
      const { url, pending } = await oidc.begin(p, redirectUri(req, p), {
        mode: 'login',
        next: sameOriginPath(req.query.next),
      });
      await rememberFlow(req, pending);
      res.redirect(303, url.toString());
    } catch (err) {
      if (!(err instanceof OidcFailure)) throw err;
      await refuse(req, res, err, 'login', p.id);
    }
  });

  router.get('/api/auth/oidc/:provider/callback', async (req, res) => {
    const p = providerFrom(req);
    const flow = await takeFlow(req, p.id, req.query.state);
    if (!flow) return refuse(req, res, new OidcFailure('oidc_state_invalid', 'no such pending flow'), 'login', p.id);
    try {
      const callbackUrl = new URL(redirectUri(req, p));
      callbackUrl.search = new URL(req.originalUrl, 'http://x').search;
      const account = await oidc.finish(p, callbackUrl, flow);
      if (flow.mode === 'link') {
        await completeLink(ctx, req, flow, account);
        return res.redirect(303, `/settings?linked=${p.id}#security`);
      }
      const { user, created } = await completeLogin(ctx, account);
      await startUserSession(ctx.userSessions, req, user);
      await ctx.repos.audit.record({
        userId: user.id,
        type: created ? 'register' : 'login',
        ip: req.ip,
        details: { method: 'oidc', provider: p.id },
      });
      req.log.info({ userId: user.id, provider: p.id, created }, created ? 'account registered' : 'signed in');
      const next = flow.next ?? (created ? '/settings?welcome=1' : '/call');
      // The web client's /signed-in page notes the session, then goes on to `next`.
      res.redirect(303, `/signed-in?next=${encodeURIComponent(next)}`);
    } catch (err) {
      if (!(err instanceof OidcFailure)) throw err;
      await refuse(req, res, err, flow.mode, p.id);
    }
  });

  router.get('/api/me/identities', requireUser, async (req, res) => {
    const me = req.user!;
    const [identities, password] = await Promise.all([
      ctx.repos.identities.list(me.id),
      ctx.repos.users.hasPassword(me.id),
    ]);
    res.json({
      identities: identities.map((i) => presentIdentity(i, oidc.provider(i.provider))),
      hasPassword: password,
    });
  });

  router.post('/api/me/identities/:provider/link', requireUser, async (req, res) => {
    const p = providerFrom(req);
    try {
      const { url, pending } = await oidc.begin(p, redirectUri(req, p), {
        mode: 'link',
        next: null,
        userId: req.user!.id,
      });
      await rememberFlow(req, pending);
      res.json({ authorizationUrl: url.toString() });
    } catch (err) {
      if (err instanceof OidcFailure) throw errors.unavailable('The provider cannot be reached. Try again shortly.');
      throw err;
    }
  });

  router.delete('/api/me/identities/:id', requireUser, async (req, res) => {
    const { id } = validateParams(req, IdentityIdParams);
    const me = req.user!;
    const result = await ctx.repos.identities.unlink(me.id, id);
    if (result === 'not_found') throw errors.notFound('Linked identity');
    if (result === 'last_sign_in_method')
      throw new AppError(409, 'last_sign_in_method', 'This is your only way to sign in. Link another provider first.');
    await ctx.repos.audit.record({ userId: me.id, type: 'identity_unlinked', ip: req.ip, details: { identityId: id } });
    req.log.info({ userId: me.id }, 'identity unlinked');
    res.status(204).end();
  });

  return router;
}
