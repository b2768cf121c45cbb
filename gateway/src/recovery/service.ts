import type { Request } from 'express';
import type { AppContext } from '../context';
import { mails } from '../mail/messages';
import { sendInBackground } from '../mail/mailer';
import { expectedOrigin } from '../security/origin';
import { newToken, sha256 } from '../security/tokens';

export const VERIFY_TOKEN_TTL_MS = 24 * 3_600_000;
export const RESET_TOKEN_TTL_MS = 30 * 60_000;

/** Where links in messages point: PUBLIC_URL when set, else the origin the request came to. */
export function appOrigin(ctx: AppContext, req: Request): string {
  return ctx.config.publicUrl ? new URL(ctx.config.publicUrl).origin : (expectedOrigin(req, ctx.config) ?? '');
}

/**
 * Issues a verification token for the account's current address (earlier links stop working) and
 * sends the link there. The token goes only into the message, in the URL's fragment (never sent to
 * a server by the browser, so never in an access log or a Referer).
 */
export async function sendEmailVerification(
  ctx: AppContext,
  req: Request,
  user: { id: string; email: string; displayName: string },
): Promise<void> {
  const token = newToken();
  await ctx.repos.accountTokens.issue({
    userId: user.id,
    purpose: 'verify_email',
    tokenHash: sha256(token),
    email: user.email,
    expiresAt: new Date(Date.now() + VERIFY_TOKEN_TTL_MS),
  });
  const link = `${appOrigin(ctx, req)}/verify-email#token=${token}`;
  sendInBackground(
    ctx.mailer,
    req.log ?? ctx.logger,
    'verify_email',
    mails.verifyEmail(user.email, user.displayName, link),
  );
  await ctx.repos.audit.record({ userId: user.id, type: 'email_verification_sent', ip: req.ip });
}

/**
 * A reset request, done after the answer went out: the answer (and its timing) is the same for
 * every address. Only an existing account gets a message; a newer request replaces the older link.
 */
export function requestPasswordReset(ctx: AppContext, req: Request, email: string): void {
  const origin = appOrigin(ctx, req);
  const ip = req.ip;
  const log = req.log ?? ctx.logger;
  sendInBackground(
    ctx.mailer,
    log,
    'reset_password',
    (async () => {
      const found = await ctx.repos.users.findCredentialsByEmail(email);
      if (!found) return null;
      const token = newToken();
      await ctx.repos.accountTokens.issue({
        userId: found.user.id,
        purpose: 'reset_password',
        tokenHash: sha256(token),
        expiresAt: new Date(Date.now() + RESET_TOKEN_TTL_MS),
      });
      await ctx.repos.audit.record({ userId: found.user.id, type: 'password_reset_requested', ip });
      return mails.passwordReset(found.user.email, found.user.displayName, `${origin}/reset-password#token=${token}`);
    })(),
  );
}
