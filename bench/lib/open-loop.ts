// Open-loop HTTP load: requests fall due at Poisson arrival times (independent users) at a fixed
// mean rate, whether or not earlier ones have been answered, and each latency is counted from the
// moment its request fell due, not from when a socket was free — waiting in the client counts
// against the server (no coordinated omission), and every sample is kept.
// Hand-written rather than autocannon because autocannon 8 paces a rate by sending each
// connection's quota for the second back to back at every one-second tick (every scenario in one
// synchronised burst per second) and corrects for coordinated omission with an interval of
// Math.ceil(1 / rate) = 1 ms, so a response of V ms is recorded as V samples (V, V-1, …, 1).
import http from 'node:http';

export interface OpenLoopRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface OpenLoopOptions {
  /** The server's origin, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Mean requests per second. */
  rate: number;
  seconds: number;
  /** Seeds the arrival times: the same seed gives the same schedule in every run. */
  seed: number;
  /** Keep-alive connections at most (requests due while all are busy wait, and that wait counts). */
  connections: number;
  timeoutMs: number;
  /** The i-th request. */
  request: (i: number) => OpenLoopRequest;
  /** performance.now() at which the schedule starts (default: now), so streams can share one start. */
  startAt?: number;
}

export interface OpenLoopResult {
  due: number;
  /** [ms after the start at which the request fell due, latency ms], one per answered request. */
  samples: Array<[number, number]>;
  /** Answers by status code. */
  status: Record<string, number>;
  /** Answers other than 2xx, failed requests and timeouts. */
  errors: number;
  /** The first few failures (network errors, timeouts), for the log. */
  failures: string[];
}

/** Mulberry32: a small seeded PRNG (reproducible schedules). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Due times (ms from the start) of a Poisson process of `rate` per second over `seconds`. */
export function poissonSchedule(rate: number, seconds: number, seed: number): number[] {
  const rand = seeded(seed);
  const out: number[] = [];
  for (let t = 0; ;) {
    t += (-Math.log(1 - rand()) / rate) * 1000;
    if (t >= seconds * 1000) return out;
    out.push(t);
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const schedule = poissonSchedule(o.rate, o.seconds, o.seed);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections });
  const t0 = o.startAt ?? performance.now();
  const result: OpenLoopResult = { due: schedule.length, samples: [], status: {}, errors: 0, failures: [] };
  let finished = 0;
  let next = 0;
  return new Promise((resolve) => {
    const settle = () => {
      if (++finished < schedule.length) return;
      agent.destroy();
      result.samples.sort((a, b) => a[0] - b[0]);
      resolve(result);
    };
    const fail = (why: string) => {
      result.errors++;
      if (result.failures.length < 5) result.failures.push(why);
      settle();
    };
    const send = (i: number) => {
      const dueAt = t0 + schedule[i]!;
      const r = o.request(i);
      const headers = {
        ...r.headers,
        ...(r.body !== undefined ? { 'content-length': String(Buffer.byteLength(r.body)) } : {}),
      };
      let done = false;
      const req = http.request(`${o.url}${r.path}`, { method: r.method, headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (done) return;
          done = true;
          const code = res.statusCode ?? 0;
          result.samples.push([round1(schedule[i]!), round1(performance.now() - dueAt)]);
          result.status[code] = (result.status[code] ?? 0) + 1;
          if (code < 200 || code > 299) result.errors++;
          settle();
        });
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err) => {
        if (done) return;
        done = true;
        fail(`${r.method} ${r.path}: ${err.message}`);
      });
      req.end(r.body);
    };
    const tick = () => {
      const now = performance.now();
      while (next < schedule.length && t0 + schedule[next]! <= now) send(next++);
      if (next < schedule.length) setTimeout(tick, Math.max(0, t0 + schedule[next]! - performance.now()));
    };
    if (!schedule.length) return resolve(result);
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
}
