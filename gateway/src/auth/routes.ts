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
  passwordParams,
  passwordProblems,
  verifyPassword,
  weakPassword,
} from '../security/passwords';
import { presentUser } from './current-user';
import { endUserSession, startPendingSecondFactor, startUserSession } from './user-session';
import { sendEmailVerification } from '../recovery/service';
import { describeDevice } from '../sessions/device';
import { recordSignIn } from '../sessions/new-device';
import { invalidCode, twoFactorService } from '../two-factor/service';

/** POST /api/auth/{register,login,login/second-factor,logout}, GET /api/auth/me. */
export function authRouter(ctx: AppContext): Router {
  const router = Router();
  const limits = rateLimiters(ctx);
  const params = passwordParams(ctx.config);
  const twoFactor = twoFactorService(ctx);

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
    await ctx.repos.audit.record({
      userId: user.id,
      type: 'register',
      ip: req.ip,
      details: { device: describeDevice(req.get('user-agent')) },
    });
    await sendEmailVerification(ctx, req, user);
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
    // Whether a second factor is on is read while the hash is verified (its answer is used only
    // after the password is accepted): one database round trip less on the sign-in path.
    const twoFactorOn = twoFactor.isEnabled(found.user.id);
    twoFactorOn.catch(() => {}); // awaited below when the password is right; ignored otherwise
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
    if (user.disabledAt) {
      // Said only to someone who knows the password: the account is not revealed to others.
      await ctx.repos.audit.record({
        userId: user.id,
        type: 'login_failed',
        ip: req.ip,
        details: { reason: 'account_disabled' },
      });
      throw errors.accountDisabled();
    }
    if (needsRehash(found.passwordHash, params))
      await ctx.repos.users.upgradePasswordHash(user.id, found.passwordHash, await hashPassword(body.password, params));
    if (await twoFactorOn) {
      const expiresAt = await startPendingSecondFactor(req, user);
      await ctx.repos.audit.record({ userId: user.id, type: 'login_password_ok', ip: req.ip });
      return {
        secondFactorRequired: true as const,
        methods: ['totp' as const, 'backup_code' as const],
        expiresAt: expiresAt.toISOString(),
      };
    }
    await startUserSession(ctx.userSessions, req, user);
    await recordSignIn(ctx, req, user, 'password');
    req.log.info({ userId: user.id }, 'signed in');
    return { user: presentUser(user) };
  });

  route(router, api.auth.secondFactor, limits.secondFactorPerAccount, async ({ body }, req) => {
    const pending = req.session.pendingSecondFactor;
    if (!pending || pending.expiresAt < Date.now()) {
      if (pending) delete req.session.pendingSecondFactor;
      throw errors.unauthenticated('Your sign-in expired. Enter your password again.');
    }
    const user = await ctx.repos.users.findById(pending.userId);
    if (!user || user.sessionEpoch !== pending.epoch) {
      delete req.session.pendingSecondFactor;
      throw errors.unauthenticated('Your sign-in expired. Enter your password again.');
    }
    const method = await twoFactor.check(user.id, body);
    if (!method) {
      await ctx.repos.audit.record({
        userId: user.id,
        type: 'second_factor_failed',
        ip: req.ip,
        details: { during: 'login' },
      });
      req.log.info({ userId: user.id }, 'second factor refused');
      throw invalidCode();
    }
    await startUserSession(ctx.userSessions, req, user);
    await recordSignIn(ctx, req, user, `password+${method}`);
    req.log.info({ userId: user.id }, 'signed in with a second factor');
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
