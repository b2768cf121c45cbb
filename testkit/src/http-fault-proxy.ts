import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpFaultProxy {
  /** http:// address of the proxy (give its ws:// form as a LiveKit URL: the server SDK derives http from it). */
  url: string;
  /** Requests whose path contains `pathPart` get `status` (with a JSON error body) instead of the server's answer, `times` times. */
  failNext(pathPart: string, times?: number, status?: number): void;
  /** Requests failed so far, by path. */
  failed: string[];
  close(): Promise<void>;
}

/** Passes one HTTP request on to `target` (its origin) and the answer back; 502 if it cannot be reached. */
export function forwardHttp(req: http.IncomingMessage, res: http.ServerResponse, target: string): void {
  const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
}

/** An HTTP proxy to `target` (e.g. LiveKit's Twirp API) that refuses chosen requests on command. */
export async function startHttpFaultProxy(target: string): Promise<HttpFaultProxy> {
  const faults: Array<{ pathPart: string; left: number; status: number }> = [];
  const failed: string[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const fault = faults.find((f) => f.left > 0 && path.includes(f.pathPart));
    if (fault) {
      fault.left--;
      failed.push(path);
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ code: 'unavailable', msg: 'injected by the test' }));
    }
    forwardHttp(req, res, target);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failNext(pathPart, times = 1, status = 503) {
      faults.push({ pathPart, left: times, status });
    },
    failed,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
