import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { AppContext } from '../context';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function hasBearer(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  return !!m && timingSafeEqual(digest(m[1]!), digest(token));
}

/**
 * Writes the registry in the Prometheus text format. Without a token only a private listener
 * serves it (its bind address is the protection); with one, a request must carry it (401 +
 * WWW-Authenticate otherwise).
 */
export async function serveMetrics(
  registry: Registry,
  token: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (token && !hasBearer(req, token)) {
    res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"', 'Content-Type': 'text/plain' });
    res.end('metrics need the bearer token (METRICS_TOKEN)\n');
    return;
  }
  const body = await registry.metrics();
  res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
  res.end(body);
}

/**
 * GET /metrics on the gateway's public port: served only when METRICS_TOKEN is set (a bearer
 * token is then required); otherwise 404 there (never the web app's shell) and METRICS_PORT is the
 * way. Plain text for Prometheus, so it is not one of the JSON API's route contracts.
 */
export function metricsRouter(ctx: AppContext): Router {
  const router = Router();
  const token = ctx.config.metrics.token;
  router.get('/metrics', (req, res) => {
    if (!token) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    return serveMetrics(ctx.metrics.registry, token, req, res);
  });
  return router;
}

/** The optional private listener (METRICS_HOST:METRICS_PORT) that serves only GET /metrics. */
export async function startMetricsListener(
  ctx: AppContext,
): Promise<{ server: Server; url: string; close(): Promise<void> } | null> {
  const { port, host, token } = ctx.config.metrics;
  if (port === undefined) return null;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    serveMetrics(ctx.metrics.registry, token, req, res).catch((err: Error) => {
      ctx.logger.warn({ errName: err.name }, 'metrics collection failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}/metrics`;
  return {
    server,
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
