import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentJobs } from '@parley/protocol';
import { JOB_REPORT_SECRET_HEADER } from './report';
import type { WorkerMetrics } from './worker-metrics';

const MAX_REPORT_BYTES = 1_000_000;
const digest = (s: string) => createHash('sha256').update(s).digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export interface MetricsServer {
  server: Server;
  /** http://host:port (GET /metrics, GET /jobs, POST /jobs/report). */
  url: string;
  /** The per-worker secret its job processes present with their reports. */
  jobSecret: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REPORT_BYTES) {
        reject(new Error('report too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The worker's metrics port, beside its health port (agents' own HTTP server serves only / and
 * /worker): GET /metrics for Prometheus and GET /jobs, the jobs it runs now (bearer METRICS_TOKEN
 * when set; otherwise the bind address AGENT_HOST is the protection), POST /jobs/report for its job processes (a random secret made at
 * start and handed to them through their environment).
 */
export async function startMetricsServer(
  metrics: WorkerMetrics,
  opts: { host: string; port: number; token?: string; onReportError?: (err: Error) => void },
): Promise<MetricsServer> {
  const jobSecret = randomBytes(24).toString('hex');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const authorized = () => {
      const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
      if (!opts.token || (m && same(m[1]!, opts.token))) return true;
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"', 'Content-Type': 'text/plain' });
      res.end('metrics need the bearer token (METRICS_TOKEN)\n');
      return false;
    };
    if (req.method === 'GET' && path === '/jobs') {
      if (!authorized()) return;
      const body: AgentJobs = { jobs: metrics.sources.jobs?.() ?? [] };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      if (!authorized()) return;
      metrics.registry.metrics().then(
        (body) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
      return;
    }
    if (req.method === 'POST' && path === '/jobs/report') {
      const secret = req.headers[JOB_REPORT_SECRET_HEADER];
      if (typeof secret !== 'string' || !same(secret, jobSecret)) {
        res.writeHead(401).end();
        return;
      }
      readBody(req)
        .then((raw) => {
          metrics.record(JSON.parse(raw));
          res.writeHead(204).end();
        })
        .catch((err: Error) => {
          opts.onReportError?.(err);
          if (!res.headersSent) res.writeHead(400).end();
        });
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    jobSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
