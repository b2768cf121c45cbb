import type { NextFunction, Request, Response } from 'express';
import type { User as DbUser } from '@parley/db';
import type { User } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';

export type CurrentUser = User;

/** The only shape a user leaves the gateway in: no hash, no epoch. */
export function presentUser(u: CurrentUser | DbUser): User {
  return { id: u.id, email: u.email, displayName: u.displayName, role: u.role, emailVerified: u.emailVerified };
}

declare module 'express-serve-static-core' {
  interface Request {
    user?: CurrentUser;
  }
}

/**
 * Resolves req.user from the session cookie. A session is void when its user is gone, its epoch
 * is older than the user's (password changed, logged out everywhere), or it passed its absolute
 * lifetime, or the account is disabled; a void session is destroyed server-side.
 */
export function loadUser(ctx: AppContext) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const s = req.session;
    const userId = s?.userId;
    if (!userId) return next();
    const user = await ctx.repos.users.findById(userId);
    const expired = s.createdAt !== undefined && Date.now() - s.createdAt > ctx.config.session.absoluteMs;
    if (!user || user.disabledAt || user.sessionEpoch !== (s.epoch ?? 0) || expired) {
      await new Promise<void>((resolve) => s.destroy(() => resolve()));
      return next();
    }
    req.user = {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      emailVerified: user.emailVerified,
    };
    // "Last used" for the sessions list; a write at most once a minute.
    if (!s.lastSeenAt || Date.now() - s.lastSeenAt > 60_000) s.lastSeenAt = Date.now();
    next();
  };
}

export function requireUser(req: Request, _res: Response, next: NextFunction) {
  if (!req.user) return next(errors.unauthenticated());
  next();
}

/** Admin routes answer 404 to everyone else: their existence is not advertised. */
export function requireAdmin(req: Request, _res: Response, next: NextFunction) {
  if (req.user?.role !== 'admin') return next(errors.notFound('Route'));
  next();
}
