import { Router } from 'express';
import { isUniqueViolation } from '@parley/db';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { route } from '../http/route';
import { rateLimiters } from '../security/rate-limit';
import {
  burnVerification,
  hashPassword,
  needsRehash,
  passwordProblems,
  verifyPassword,
  weakPassword,
} from '../security/passwords';
import { passwordParams } from './password-params';
import { presentUser } from './current-user';
import { endUserSession, startUserSession } from './user-session';

/** POST /api/auth/{register,login,logout}, GET /api/auth/me. */
export function authRouter(ctx: AppContext): Router {
  const router = Router();
  const limits = rateLimiters(ctx);
  const params = passwordParams(ctx);

  route(router, api.auth.register, limits.registerPerIp, async ({ body }, req) => {
    const problems = passwordProblems(body.password, { email: body.email, displayName: body.displayName });
    if (problems.length) throw weakPassword(problems);
    const passwordHash = await hashPassword(body.password, params);
    const user = await ctx.repos.users
      .create({ email: body.email, passwordHash, displayName: body.displayName })
      .catch((err: unknown) => {
        if (isUniqueViolation(err)) throw errors.conflict('email_taken', 'An account with this email already exists.');
        throw err;
      });
    await startUserSession(ctx.userSessions, req, user);
    await ctx.repos.audit.record({ userId: user.id, type: 'register', ip: req.ip });
    req.log.info({ userId: user.id }, 'account registered');
    return { user: presentUser(user) };
  });

  route(router, api.auth.login, limits.loginPerIp, limits.loginPerAccount, async ({ body }, req) => {
    const found = await ctx.repos.users.findCredentialsByEmail(body.email);
    if (!found || found.passwordHash === null) {
      await burnVerification(body.password, params); // equal work: timing does not reveal unknown emails
      await ctx.repos.audit.record({
        userId: found?.user.id ?? null,
        type: 'login_failed',
        ip: req.ip,
        details: { reason: found ? 'no_password' : 'unknown_account' },
      });
      throw errors.invalidCredentials();
    }
    if (!(await verifyPassword(body.password, found.passwordHash))) {
      await ctx.repos.audit.record({
        userId: found.user.id,
        type: 'login_failed',
        ip: req.ip,
        details: { reason: 'wrong_password' },
      });
      req.log.info({ userId: found.user.id }, 'login refused');
      throw errors.invalidCredentials();
    }
    const user = found.user;
    if (needsRehash(found.passwordHash, params))
      await ctx.repos.users.upgradePasswordHash(user.id, await hashPassword(body.password, params));
    await startUserSession(ctx.userSessions, req, user);
    await ctx.repos.audit.record({ userId: user.id, type: 'login', ip: req.ip });
    req.log.info({ userId: user.id }, 'signed in');
    return { user: presentUser(user) };
  });

  route(router, api.auth.logout, async (_input, req, res) => {
    if (req.user) {
      await ctx.repos.audit.record({ userId: req.user.id, type: 'logout', ip: req.ip });
      req.log.info({ userId: req.user.id }, 'signed out');
    }
    await endUserSession(req, res);
  });

  route(router, api.auth.me, (_input, req) => ({ user: presentUser(req.user!) }));

  return router;
}
