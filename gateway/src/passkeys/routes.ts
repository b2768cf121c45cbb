import { Router } from 'express';
import { isUniqueViolation } from '@parley/db';
import { api } from '@parley/protocol';
import type { RegistrationResponseJSON, AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { route } from '../http/route';
import { rateLimiters } from '../security/rate-limit';
import { presentUser } from '../auth/current-user';
import { startUserSession } from '../auth/user-session';
import { describeDevice } from '../sessions/device';
import { recordSignIn } from '../sessions/new-device';
import { passkeyFailed, passkeyService, presentPasskey } from './service';

/** Passkeys: add and remove while signed in (/api/me/passkeys), sign in with one alone (/api/auth/passkey). */
export function passkeysRouter(ctx: AppContext): Router {
  const router = Router();
  const limits = rateLimiters(ctx);
  const service = passkeyService(ctx);

  route(router, api.passkeys.list, async (_input, req) => ({
    passkeys: (await ctx.repos.passkeys.list(req.user!.id)).map(presentPasskey),
  }));

  route(router, api.passkeys.registrationOptions, async (_input, req) => ({
    options: await service.registrationOptions(req, req.user!),
  }));

  route(router, api.passkeys.add, limits.loginPerIp, async ({ body }, req) => {
    const me = req.user!;
    const passkey = await service
      .register(
        req,
        me.id,
        body.credential as unknown as RegistrationResponseJSON,
        describeDevice(req.get('user-agent')),
      )
      .catch((err: unknown) => {
        if (isUniqueViolation(err)) throw errors.conflict('conflict', 'That passkey is already registered.');
        throw err;
      });
    if (!passkey) throw passkeyFailed(400);
    await ctx.repos.audit.record({ userId: me.id, type: 'passkey_added', ip: req.ip, details: { name: passkey.name } });
    req.log.info({ userId: me.id }, 'passkey added');
    return { passkey: presentPasskey(passkey) };
  });

  route(router, api.passkeys.remove, async ({ params }, req) => {
    const me = req.user!;
    if (!(await ctx.repos.passkeys.remove(me.id, params.id))) throw errors.notFound('Passkey');
    await ctx.repos.audit.record({ userId: me.id, type: 'passkey_removed', ip: req.ip });
    req.log.info({ userId: me.id }, 'passkey removed');
  });

  route(router, api.passkeys.signInOptions, limits.loginPerIp, async (_input, req) => ({
    options: await service.signInOptions(req),
  }));

  route(router, api.passkeys.signIn, limits.loginPerIp, async ({ body }, req) => {
    const passkey = await service.authenticate(req, body.credential as unknown as AuthenticationResponseJSON);
    const user = passkey ? await ctx.repos.users.findById(passkey.userId) : undefined;
    if (!passkey || !user) {
      await ctx.repos.audit.record({
        userId: passkey?.userId ?? null,
        type: 'login_failed',
        ip: req.ip,
        details: { reason: 'passkey' },
      });
      throw passkeyFailed(401);
    }
    // A passkey with user verification is two factors in one (possession + PIN/biometric): no second step.
    await startUserSession(ctx.userSessions, req, user);
    await recordSignIn(ctx, req, user, 'passkey');
    req.log.info({ userId: user.id }, 'signed in with a passkey');
    return { user: presentUser(user) };
  });

  return router;
}
