import type { NextFunction, Request, Response } from 'express';
import type { RouteContract, TokenScope } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { hashToken } from './service';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set when the request authenticated with a personal API token instead of the session cookie. */
    apiToken?: { id: string; scopes: TokenScope[] };
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * `Authorization: Bearer <token>` on /api: a valid token stands in for the session cookie (the
 * cookie is then ignored, and no CSRF check applies: a browser never adds this header by itself
 * to a cross-site request). An unknown, revoked or expired token is 401 at once, with no fallback
 * to the cookie. Mounted before the origin guard and the session.
 */
export function bearerAuth(ctx: AppContext) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (header === undefined) return next();
    const m = BEARER.exec(header);
    if (!m) return next(errors.unauthenticated('Authorization must be "Bearer <API token>".'));
    const token = await ctx.repos.apiTokens.findActiveByHash(hashToken(m[1]!));
    const user = token && (await ctx.repos.users.findById(token.userId));
    if (!token || !user) return next(errors.unauthenticated('The API token is unknown, revoked or expired.'));
    if (user.disabledAt) return next(errors.accountDisabled());
    req.apiToken = { id: token.id, scopes: token.scopes as TokenScope[] };
    req.user = {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      emailVerified: user.emailVerified,
    };
    ctx.repos.apiTokens.touch(token.id).catch((err: unknown) => req.log?.warn({ err }, 'token last-use not recorded'));
    next();
  };
}

/** Skips `middleware` for requests that carry an API token (session, origin guard, cookie user). */
export function unlessToken(middleware: (req: Request, res: Response, next: NextFunction) => unknown) {
  return (req: Request, res: Response, next: NextFunction) => (req.apiToken ? next() : middleware(req, res, next));
}

/**
 * Per route (used by route()): a request with a token passes only if the contract lists one of the
 * token's scopes; a route that lists none takes the session cookie only.
 */
export function tokenGate(contract: RouteContract) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = req.apiToken;
    if (!token) return next();
    if (!contract.scopes?.length) return next(errors.tokenNotAllowed());
    if (!contract.scopes.some((s) => token.scopes.includes(s))) return next(errors.insufficientScope(contract.scopes));
    next();
  };
}
