import { Router, type Request, type Response } from 'express';
import { api, pathOf } from '@parley/protocol';
import type { AppContext } from '../context';
import { startPendingSecondFactor, startUserSession } from '../auth/user-session';
import { twoFactorService } from '../two-factor/service';
import { AppError, errors } from '../http/errors';
import { route } from '../http/route';
import type { OidcProviderConfig } from './config';
import { rememberFlow, sameOriginPath, takeFlow } from './flows';
import { OidcFailure, OidcService, type PendingFlow } from './service';
import { completeLink, completeLogin, presentIdentity } from './accounts';
import { initialPasswordRouter } from './initial-password';

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
    return new URL(pathOf(api.oidc.callback.path, { provider: p.id }), base).toString();
  };

  const providerFrom = (provider: string) => {
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

  route(router, api.oidc.providers, () => ({
    providers: oidc.providers.map((p) => ({
      id: p.id,
      displayName: p.displayName,
      startUrl: pathOf(api.oidc.start.path, { provider: p.id }),
    })),
  }));

  route(router, api.oidc.start, async ({ params }, req, res) => {
    const p = providerFrom(params.provider);
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

  route(router, api.oidc.callback, async ({ params }, req, res) => {
    const p = providerFrom(params.provider);
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
      if (user.disabledAt) throw new OidcFailure('oidc_account_disabled', 'account disabled by an admin');
      if (!created && (await twoFactorService(ctx).isEnabled(user.id))) {
        // A provider sign-in does not bypass the account's own second factor.
        await startPendingSecondFactor(req, user);
        await ctx.repos.audit.record({
          userId: user.id,
          type: 'login_provider_ok',
          ip: req.ip,
          details: { provider: p.id },
        });
        const next = flow.next ?? '/call';
        return res.redirect(303, `/login?second-factor=1&next=${encodeURIComponent(next)}`);
      }
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

  route(router, api.oidc.identities, async (_input, req) => {
    const me = req.user!;
    const [identities, password] = await Promise.all([
      ctx.repos.identities.list(me.id),
      ctx.repos.users.hasPassword(me.id),
    ]);
    return {
      identities: identities.map((i) => presentIdentity(i, oidc.provider(i.provider))),
      hasPassword: password,
    };
  });

  route(router, api.oidc.link, async ({ params }, req) => {
    const p = providerFrom(params.provider);
    try {
      const { url, pending } = await oidc.begin(p, redirectUri(req, p), {
        mode: 'link',
        next: null,
        userId: req.user!.id,
      });
      await rememberFlow(req, pending);
      return { authorizationUrl: url.toString() };
    } catch (err) {
      if (err instanceof OidcFailure) throw errors.unavailable('The provider cannot be reached. Try again shortly.');
      throw err;
    }
  });

  route(router, api.oidc.unlink, async ({ params: { id } }, req) => {
    const me = req.user!;
    const result = await ctx.repos.identities.unlink(me.id, id);
    if (result === 'not_found') throw errors.notFound('Linked identity');
    if (result === 'last_sign_in_method')
      throw new AppError(409, 'last_sign_in_method', 'This is your only way to sign in. Link another provider first.');
    await ctx.repos.audit.record({ userId: me.id, type: 'identity_unlinked', ip: req.ip, details: { identityId: id } });
    req.log.info({ userId: me.id }, 'identity unlinked');
  });

  return router;
}
