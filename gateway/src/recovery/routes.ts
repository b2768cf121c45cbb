import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { AppError, errors } from '../http/errors';
import { route } from '../http/route';
import { applyMiddleware, rateLimiters } from '../security/rate-limit';
import { hashPassword, passwordParams, passwordProblems, weakPassword } from '../security/passwords';
import { sha256 } from '../security/tokens';
import { twoFactorService } from '../two-factor/service';
import { requestPasswordReset, sendEmailVerification } from './service';

const invalidToken = () => new AppError(400, 'invalid_token', 'This link is not valid any more. Ask for a new one.');

/** Email verification and password reset (docs/security.md: accounts and recovery). */
export function recoveryRouter(ctx: AppContext): Router {
  const router = Router();
  const limits = rateLimiters(ctx);
  const params = passwordParams(ctx.config);
  const twoFactor = twoFactorService(ctx);

  route(router, api.recovery.verifyEmail, async ({ body }, req) => {
    const token = await ctx.repos.accountTokens.consume(sha256(body.token), 'verify_email');
    if (!token?.email || !(await ctx.repos.users.markEmailVerified(token.userId, token.email))) throw invalidToken();
    await ctx.repos.audit.record({ userId: token.userId, type: 'email_verified', ip: req.ip });
    req.log.info({ userId: token.userId }, 'email verified');
  });

  route(router, api.recovery.resendVerification, limits.mailPerAccount, async (_input, req) => {
    const me = req.user!;
    if (me.emailVerified) throw errors.conflict('conflict', 'This email address is already verified.');
    await sendEmailVerification(ctx, req, me);
  });

  route(router, api.recovery.requestPasswordReset, limits.mailPerIp, limits.mailPerAccount, ({ body }, req) => {
    requestPasswordReset(ctx, req, body.email);
  });

  route(router, api.recovery.resetPassword, limits.loginPerIp, async ({ body }, req, res) => {
    const tokenHash = sha256(body.token);
    const token = await ctx.repos.accountTokens.findLive(tokenHash, 'reset_password');
    if (!token) throw invalidToken();
    const user = await ctx.repos.users.findById(token.userId);
    if (!user) throw invalidToken();
    const problems = passwordProblems(
      body.newPassword,
      { email: user.email, displayName: user.displayName },
      'newPassword',
    );
    if (problems.length) throw weakPassword(problems);
    let method: string | null = null;
    if (await twoFactor.isEnabled(user.id)) {
      if (body.code === undefined && body.backupCode === undefined)
        throw new AppError(401, 'second_factor_required', 'Enter a code from your authenticator app or a backup code.');
      req.secondFactorUserId = user.id;
      await applyMiddleware(limits.secondFactorPerAccount, req, res);
      method = await twoFactor.check(user.id, body);
      if (!method) {
        await ctx.repos.audit.record({
          userId: user.id,
          type: 'second_factor_failed',
          ip: req.ip,
          details: { during: 'password_reset' },
        });
        throw new AppError(401, 'invalid_code', 'That code is not valid.');
      }
    }
    // The use is one conditional write: a replayed or raced token loses here.
    if (!(await ctx.repos.accountTokens.consume(tokenHash, 'reset_password'))) throw invalidToken();
    const epoch = await ctx.repos.users.setPasswordHash(user.id, await hashPassword(body.newPassword, params));
    if (epoch === undefined) throw invalidToken();
    await ctx.repos.accountTokens.consumeAll(user.id, 'reset_password');
    // The link proved the mailbox.
    await ctx.repos.users.markEmailVerified(user.id, user.email);
    await ctx.userSessions.endAll(user.id);
    await ctx.repos.audit.record({
      userId: user.id,
      type: 'password_reset',
      ip: req.ip,
      details: method ? { secondFactor: method } : {},
    });
    req.log.info({ userId: user.id }, 'password reset; every session ended');
  });

  return router;
}
