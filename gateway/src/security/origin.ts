import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { errors } from '../http/errors';

/** The part of the gateway config the origin check reads. */
export interface OriginConfig {
  publicUrl?: string | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The origin this gateway serves: PUBLIC_URL's origin when configured, else the scheme and Host
 * of the request itself (scheme from the TLS socket or X-Forwarded-Proto). Null when unknowable.
 */
export function expectedOrigin(req: IncomingMessage, config: OriginConfig): string | null {
  if (config.publicUrl) return new URL(config.publicUrl).origin;
  const host = firstHeader(req.headers.host);
  if (!host) return null;
  const forwarded = firstHeader(req.headers['x-forwarded-proto'])?.split(',')[0]?.trim();
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const scheme = forwarded === 'https' || forwarded === 'http' ? forwarded : encrypted ? 'https' : 'http';
  try {
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    return null;
  }
}

/**
 * Whether a browser request comes from Parley's own pages. Origin, when present, must equal the
 * app's origin ("null" and foreign origins fail). Without Origin, Sec-Fetch-Site must be
 * `same-origin` or `none` (user-typed navigation). With neither header the request is refused:
 * every browser that runs Parley's client sends at least one of them.
 *
 * Used for state-changing HTTP requests (originGuard) and for WebSocket upgrades, whose
 * handshake browsers always send with an Origin header.
 */
export function isSameOrigin(req: IncomingMessage, config: OriginConfig): boolean {
  const origin = firstHeader(req.headers.origin);
  if (origin !== undefined) {
    const expected = expectedOrigin(req, config);
    if (!expected || origin === 'null') return false;
    try {
      return new URL(origin).origin === expected;
    } catch {
      return false;
    }
  }
  const site = firstHeader(req.headers['sec-fetch-site']);
  return site === 'same-origin' || site === 'none';
}

/**
 * CSRF defence for cookie-authenticated writes: every request other than GET/HEAD/OPTIONS must
 * pass isSameOrigin, else 403 `forbidden_origin`. Mounted on /api and /ws (not /internal, whose
 * calls are HMAC-signed and carry no cookie).
 */
export function originGuard(config: OriginConfig) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method) || isSameOrigin(req, config)) return next();
    req.log?.warn({ method: req.method, path: req.path }, 'cross-origin write refused');
    next(errors.forbiddenOrigin());
  };
}
