import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { keepSessionAfterPasswordWrite } from '../auth/user-session';
import { AppError } from '../http/errors';
import { route } from '../http/route';
import { rateLimiters } from '../security/rate-limit';
import { hashPassword, passwordParams, passwordProblems, weakPassword } from '../security/passwords';

/**
 * POST /api/me/initial-password: accounts created by a provider sign-in have no password; this
 * sets the first one (the session proves who the user is, as for linking). Changing an existing
 * password stays POST /api/me/password, which needs the current one.
 */
export function initialPasswordRouter(ctx: AppContext): Router {
  const router = Router();
  const params = passwordParams(ctx.config);
  route(
    router,
    api.oidc.initialPassword,
    rateLimiters(ctx).passwordCheckPerUser,
    async ({ body: { newPassword } }, req) => {
      const me = req.user!;
      const problems = passwordProblems(newPassword, { email: me.email, displayName: me.displayName }, 'newPassword');
      if (problems.length) throw weakPassword(problems);
      const epoch = await ctx.repos.users.setPasswordHash(me.id, await hashPassword(newPassword, params), {
        onlyIfUnset: true,
      });
      if (epoch === undefined)
        throw new AppError(409, 'password_already_set', 'This account has a password: change it with the current one.');
      await keepSessionAfterPasswordWrite(ctx.userSessions, req, { id: me.id, sessionEpoch: epoch });
      await ctx.repos.audit.record({ userId: me.id, type: 'password_set', ip: req.ip });
      req.log.info({ userId: me.id }, 'initial password set');
    },
  );
  return router;
}
