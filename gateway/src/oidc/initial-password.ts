import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context';
import { passwordParams } from '../auth/password-params';
import { Password } from '../auth/schema';
import { requireUser } from '../auth/current-user';
import { startUserSession } from '../auth/user-session';
import { AppError } from '../http/errors';
import { validateBody } from '../http/validate';
import { registerRoute } from '../openapi/registry';
import { rateLimiters } from '../security/rate-limit';
import { hashPassword, passwordProblems, weakPassword } from '../security/passwords';

export const InitialPasswordBody = z.strictObject({ newPassword: Password });

registerRoute({
  method: 'post',
  path: '/api/me/initial-password',
  summary:
    'Gives a password to an account made through a sign-in provider (it has none), so it can sign in without the provider.',
  auth: 'user',
  request: InitialPasswordBody,
  errors: { 400: 'validation_failed, invalid_json, weak_password', 409: 'password_already_set' },
});

/**
 * POST /api/me/initial-password: accounts created by a provider sign-in have no password; this
 * sets the first one (the session proves who the user is, as for linking). Changing an existing
 * password stays POST /api/me/password, which needs the current one.
 */
export function initialPasswordRouter(ctx: AppContext): Router {
  const router = Router();
  const params = passwordParams(ctx);
  router.post('/api/me/initial-password', requireUser, rateLimiters(ctx).passwordCheckPerUser, async (req, res) => {
    const { newPassword } = validateBody(req, InitialPasswordBody);
    const me = req.user!;
    const problems = passwordProblems(newPassword, { email: me.email, displayName: me.displayName }, 'newPassword');
    if (problems.length) throw weakPassword(problems);
    const epoch = await ctx.repos.users.setInitialPasswordHash(me.id, await hashPassword(newPassword, params));
    if (epoch === undefined)
      throw new AppError(409, 'password_already_set', 'This account has a password: change it with the current one.');
    // Other sessions of the user end, as on a password change; this one continues on a fresh id.
    await startUserSession(
      ctx.userSessions,
      req,
      { id: me.id, sessionEpoch: epoch },
      req.session.createdAt ?? Date.now(),
    );
    await ctx.repos.audit.record({ userId: me.id, type: 'password_set', ip: req.ip });
    req.log.info({ userId: me.id }, 'initial password set');
    res.status(204).end();
  });
  return router;
}
