import type { Request } from 'express';
import type { AppContext } from '../context';
import { sendInBackground } from '../mail/mailer';
import { mails } from '../mail/messages';
import { coarseIp, describeDevice } from './device';

/** Sign-ins looked back on to decide whether a device is new. */
const LOOK_BACK = 200;

/**
 * Records a completed sign-in (audit `login`, with the device label and method) and, when no earlier
 * sign-in or registration of the account came from the same device label, emails a notice to the
 * account's address. The label is coarse ("Firefox on Linux"), so a notice means a browser or
 * system the account has not used before.
 */
export async function recordSignIn(
  ctx: AppContext,
  req: Request,
  user: { id: string; email: string; displayName: string },
  method: string,
): Promise<void> {
  const device = describeDevice(req.get('user-agent'));
  const known = await ctx.repos.audit.signedInFrom(user.id, device, LOOK_BACK);
  await ctx.repos.audit.record({ userId: user.id, type: 'login', ip: req.ip, details: { method, device } });
  if (!known) {
    sendInBackground(
      ctx.mailer,
      req.log ?? ctx.logger,
      'new_device',
      mails.newDevice(user.email, user.displayName, device, coarseIp(req.ip)),
    );
    await ctx.repos.audit.record({ userId: user.id, type: 'new_device_notice', ip: req.ip, details: { device } });
  }
}
