import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { AppError, errors } from '../http/errors';
import { route } from '../http/route';
import { rateLimiters } from '../security/rate-limit';
import { verifyPassword } from '../security/passwords';
import { invalidCode, twoFactorService } from './service';

/** /api/me/two-factor: set-up (QR), confirm, backup codes, turn off. Only the caller's own account. */
export function twoFactorRouter(ctx: AppContext): Router {
  const router = Router();
  const limits = rateLimiters(ctx);
  const service = twoFactorService(ctx);

  route(router, api.twoFactor.status, async (_input, req) => service.status(req.user!.id));

  route(router, api.twoFactor.setup, async (_input, req) => {
    const me = req.user!;
    // Recovery of a two-factor account goes through its email: that address must be proven first.
    if (!me.emailVerified) throw new AppError(403, 'email_unverified', 'Verify your email address first.');
    const setup = await service.setup(me.id, me.email);
    if (!setup) throw errors.conflict('conflict', 'Two-factor sign-in is already on.');
    return setup;
  });

  route(router, api.twoFactor.enable, limits.secondFactorPerAccount, async ({ body }, req) => {
    const me = req.user!;
    const result = await service.enable(me.id, body.code);
    if (result === 'not_pending') throw errors.conflict('conflict', 'Start the set-up first.');
    if (result === 'invalid') throw invalidCode();
    await ctx.repos.audit.record({ userId: me.id, type: 'two_factor_enabled', ip: req.ip });
    req.log.info({ userId: me.id }, 'two-factor sign-in turned on');
    return { backupCodes: result };
  });

  route(
    router,
    api.twoFactor.disable,
    limits.passwordCheckPerUser,
    limits.secondFactorPerAccount,
    async ({ body }, req) => {
      const me = req.user!;
      const hash = await ctx.repos.users.passwordHash(me.id);
      if (!hash || !(await verifyPassword(body.password, hash))) throw errors.wrongPassword();
      if (!(await service.isEnabled(me.id))) throw errors.conflict('conflict', 'Two-factor sign-in is off.');
      if (!(await service.check(me.id, body))) throw invalidCode();
      await service.disable(me.id);
      await ctx.repos.audit.record({ userId: me.id, type: 'two_factor_disabled', ip: req.ip });
      req.log.info({ userId: me.id }, 'two-factor sign-in turned off');
    },
  );

  route(router, api.twoFactor.regenerateBackupCodes, limits.secondFactorPerAccount, async ({ body }, req) => {
    const me = req.user!;
    if (!(await service.isEnabled(me.id))) throw errors.conflict('conflict', 'Two-factor sign-in is off.');
    if (!(await service.check(me.id, { code: body.code }))) throw invalidCode();
    const backupCodes = await service.regenerateBackupCodes(me.id);
    await ctx.repos.audit.record({ userId: me.id, type: 'backup_codes_regenerated', ip: req.ip });
    return { backupCodes };
  });

  return router;
}
