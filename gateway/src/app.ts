import { existsSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import compression from 'compression';
import helmet from 'helmet';
import type { AppContext } from './context';
import { apiNotFound, errorHandler } from './http/error-handler';
import { httpLogger } from './http/logger';
import { healthRouter } from './health/routes';
import { loadUser } from './auth/current-user';
import { originGuard } from './security/origin';
import { featureRouters } from './routes';
import { httpMetrics } from './metrics/http';
import { metricsRouter } from './metrics/routes';
import { bearerAuth, unlessToken } from './tokens/bearer';

/** Parses Express's "trust proxy" setting from its string form. */
function trustProxyValue(raw: string): boolean | number | string {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}

function livekitHttpOrigin(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  return url.origin;
}

export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxyValue(ctx.config.trustProxy));
  app.set('query parser', 'simple');
  app.use(httpMetrics(ctx.metrics));
  app.use(httpLogger(ctx.logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'script-src': ["'self'"],
          // livekit-client talks to the LiveKit server over ws(s) and, to explain a failed
          // connection, over http(s) (/rtc/v1/validate).
          'connect-src': ["'self'", 'ws:', 'wss:', livekitHttpOrigin(ctx.config.livekit.publicUrl)],
          'media-src': ["'self'", 'blob:'],
          'img-src': ["'self'", 'data:', 'blob:'],
          'worker-src': ["'self'", 'blob:'],
          'upgrade-insecure-requests': ctx.config.publicUrl?.startsWith('https://') ? [] : null,
        },
      },
      strictTransportSecurity: ctx.config.publicUrl?.startsWith('https://') ? undefined : false,
    }),
  );
  app.use(healthRouter(ctx));
  app.use(metricsRouter(ctx));
  // Personal API tokens (Authorization: Bearer) stand in for the cookie: no session, no CSRF check.
  app.use('/api', bearerAuth(ctx));
  // CSRF: cross-site writes are refused before their body is read (docs/security.md).
  app.use('/ws', originGuard(ctx.config));
  app.use('/api', unlessToken(originGuard(ctx.config)));
  app.use('/api', express.json({ limit: '64kb' }));
  app.use('/api', unlessToken(ctx.sessionMiddleware));
  app.use('/api', unlessToken(loadUser(ctx)));
  for (const router of featureRouters(ctx)) app.use(router);
  app.use(['/api', '/internal'], apiNotFound);

  const webDist = ctx.config.webDist ?? path.resolve(import.meta.dirname, '../../web/dist');
  if (existsSync(path.join(webDist, 'index.html'))) {
    // The web client gzipped (its first load is ~360 kB of script, ~120 kB gzipped) for `npm start`,
    // where no proxy compresses (deploy/Caddyfile's `encode` does behind Caddy). Only from here on:
    // the API and WebSocket routes above are never buffered by it.
    app.use(compression());
    app.use(express.static(webDist, { index: false, maxAge: '1h' }));
    // Client-side routes: every other GET serves the app shell.
    // Shared-conversation pages (/s/<token>) are never indexed and never leak the token as a Referer.
    app.get(/^\/s\//, (_req, res, next) => {
      res.set({ 'X-Robots-Tag': 'noindex, nofollow', 'Referrer-Policy': 'no-referrer' });
      next();
    });
    app.get(/^\/(?!api\/|internal\/|ws\/).*/, (_req, res) => res.sendFile(path.join(webDist, 'index.html')));
  }
  app.use(errorHandler);
  return app;
}
