import { Router } from 'express';
import { isUniqueViolation } from '@parley/db';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { validateBody } from '../http/validate';
import { registerRoute } from '../openapi/registry';
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
import { requireUser } from './current-user';
import { LoginBody, presentUser, RegisterBody, UserEnvelope } from './schema';
import { endUserSession, startUserSession } from './user-session';

registerRoute({
  method: 'post',
  path: '/api/auth/register',
  summary: 'Create an account and sign in (sets the session cookie).',
  request: RegisterBody,
  response: UserEnvelope,
  status: 201,
  errors: { 400: 'validation_failed, invalid_json, weak_password', 409: 'email_taken', 429: 'rate_limited' },
});
registerRoute({
  method: 'post',
  path: '/api/auth/login',
  summary: 'Sign in; the session id is replaced by a new one.',
  request: LoginBody,
  response: UserEnvelope,
  errors: { 401: 'invalid_credentials (same answer for an unknown email and a wrong password)', 429: 'rate_limited' },
});
registerRoute({
  method: 'post',
  path: '/api/auth/logout',
  summary: 'End the session server-side and clear the cookie.',
});
registerRoute({
  method: 'get',
  path: '/api/auth/me',
  summary: 'The signed-in user.',
  auth: 'user',
  response: UserEnvelope,
});

/** POST /api/auth/{register,login,logout}, GET /api/auth/me. */
export function authRouter(ctx: AppContext): Router {
  const router = Router();
  const limits = rateLimiters(ctx);
  const params = passwordParams(ctx);

  router.post('/api/auth/register', limits.registerPerIp, async (req, res) => {
    const body = validateBody(req, RegisterBody);
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
    res.status(201).json({ user: presentUser(user) });
  });

  router.post('/api/auth/login', limits.loginPerIp, limits.loginPerAccount, async (req, res) => {
    const body = validateBody(req, LoginBody);
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
    res.json({ user: presentUser(user) });
  });

  router.post('/api/auth/logout', async (req, res) => {
    if (req.user) {
      await ctx.repos.audit.record({ userId: req.user.id, type: 'logout', ip: req.ip });
      req.log.info({ userId: req.user.id }, 'signed out');
    }
    await endUserSession(req, res);
    res.status(204).end();
  });

  router.get('/api/auth/me', requireUser, (req, res) => {
    res.json({ user: presentUser(req.user!) });
  });

  return router;
}
