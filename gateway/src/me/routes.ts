import { Router } from 'express';
import { coarseIp, isUniqueViolation, normalizeEmail } from '@parley/db';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { route } from '../http/route';
import { rateLimiters } from '../security/rate-limit';
import { hashPassword, passwordParams, passwordProblems, verifyPassword, weakPassword } from '../security/passwords';
import { presentUser } from '../auth/current-user';
import { keepSessionAfterPasswordWrite } from '../auth/user-session';
import { sendInBackground } from '../mail/mailer';
import { mails } from '../mail/messages';
import { sendEmailVerification } from '../recovery/service';

/** PATCH /api/me, POST /api/me/password, GET /api/me/activity: only ever the caller's own account. */
export function meRouter(ctx: AppContext): Router {
  const router = Router();
  const limits = rateLimiters(ctx);
  const params = passwordParams(ctx.config);

  async function checkCurrentPassword(userId: string, password: string) {
    const hash = await ctx.repos.users.passwordHash(userId);
    if (!hash || !(await verifyPassword(password, hash))) throw errors.wrongPassword();
  }

  route(router, api.me.activity, async (_input, req, res) => {
    const events = await ctx.repos.audit.ownActivity(req.user!.id, 50);
    res.set('Cache-Control', 'private, no-store');
    return {
      // Only the kind, time, a coarse network and the browser: details may hold facts meant for admins.
      events: events.map((e) => ({
        id: e.id,
        // An import writes preferences through the one writer; its owner knows it as an import.
        type: e.type === 'preferences_change' && e.details.source === 'import' ? 'data_import' : e.type,
        at: new Date(e.createdAt).toISOString(),
        ip: coarseIp(e.ip),
        device: typeof e.details.device === 'string' ? e.details.device : null,
        byAdmin: e.byOther,
      })),
    };
  });

  route(router, api.me.update, limits.passwordCheckPerUser, async ({ body }, req) => {
    const me = req.user!;
    const emailChanges = body.email !== undefined && normalizeEmail(body.email) !== normalizeEmail(me.email);
    if (emailChanges) {
      if (body.password === undefined)
        throw errors.validation([{ path: 'password', message: 'Enter your current password to change your email.' }]);
      await checkCurrentPassword(me.id, body.password);
    }
    const changes = {
      ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
      ...(body.email !== undefined && body.email !== me.email ? { email: body.email } : {}),
    };
    const updated = await ctx.repos.users.updateProfile(me.id, changes).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw errors.conflict('email_taken', 'An account with this email already exists.');
      throw err;
    });
    if (!updated) throw errors.unauthenticated();
    await ctx.repos.audit.record({
      userId: me.id,
      type: 'profile_change',
      ip: req.ip,
      details: { fields: Object.keys(changes) },
    });
    if (emailChanges) {
      // The new address gets its own verification link; the old one hears about the change.
      await sendEmailVerification(ctx, req, updated);
      sendInBackground(
        ctx.mailer,
        req.log,
        'email_changed',
        mails.emailChanged(me.email, updated.displayName, updated.email),
      );
    }
    return { user: presentUser(updated) };
  });

  route(router, api.me.changePassword, limits.passwordCheckPerUser, async ({ body }, req) => {
    const me = req.user!;
    await checkCurrentPassword(me.id, body.currentPassword);
    const problems = passwordProblems(
      body.newPassword,
      { email: me.email, displayName: me.displayName },
      'newPassword',
    );
    if (body.newPassword === body.currentPassword)
      problems.push({ path: 'newPassword', message: 'Choose a password different from the current one.' });
    if (problems.length) throw weakPassword(problems);
    const epoch = await ctx.repos.users.setPasswordHash(me.id, await hashPassword(body.newPassword, params));
    if (epoch === undefined) throw errors.unauthenticated();
    await keepSessionAfterPasswordWrite(ctx.userSessions, req, { id: me.id, sessionEpoch: epoch });
    await ctx.repos.audit.record({ userId: me.id, type: 'password_change', ip: req.ip });
    req.log.info({ userId: me.id }, 'password changed');
  });

  return router;
}
