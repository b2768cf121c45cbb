import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLoop, poissonSchedule, type OpenLoopOptions } from './open-loop';

describe('poissonSchedule', () => {
  it('is reproducible from its seed and has the asked mean rate with exponential gaps', () => {
    const a = poissonSchedule(100, 60, 7);
    expect(poissonSchedule(100, 60, 7)).toEqual(a);
    expect(poissonSchedule(100, 60, 8)).not.toEqual(a);
    // 6000 expected; the standard deviation of a Poisson count is √6000 ≈ 77.
    expect(Math.abs(a.length - 6000)).toBeLessThan(400);
    expect(a.every((t, i) => t >= 0 && t < 60_000 && (i === 0 || t >= a[i - 1]!))).toBe(true);
    // Exponential gaps: standard deviation ≈ mean (10 ms), unlike evenly spaced or burst arrivals.
    const gaps = a.slice(1).map((t, i) => t - a[i]!);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeGreaterThan(9);
    expect(mean).toBeLessThan(11);
    expect(sd / mean).toBeGreaterThan(0.9);
    expect(sd / mean).toBeLessThan(1.1);
  });
});

describe('openLoop', () => {
  const SERVICE_MS = 50;
  let server: http.Server;
  let url: string;
  let inFlight = 0;
  let maxInFlight = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/never') return; // never answered
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(req.url === '/refused' ? 503 : 200).end('{}');
      }, SERVICE_MS);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  /** 0.2 s against the test server, 10 s to answer unless the case says otherwise. */
  const run = (opts: Omit<OpenLoopOptions, 'url' | 'seconds' | 'timeoutMs'> & Partial<OpenLoopOptions>) =>
    openLoop({ url, seconds: 0.2, timeoutMs: 10_000, ...opts });

  it('counts the wait for a busy connection in the latency (no coordinated omission)', async () => {
    maxInFlight = 0;
    // ~40 requests due within 0.2 s over one connection that takes 50 ms per answer: they queue.
    const r = await run({ rate: 200, seed: 1, connections: 1, request: () => ({ method: 'GET', path: '/ok' }) });
    expect(r.due).toBeGreaterThan(20);
    expect(r.samples).toHaveLength(r.due);
    expect(r.errors).toBe(0);
    expect(r.status).toEqual({ 200: r.due });
    expect(maxInFlight).toBe(1);
    // The last request fell due before 200 ms and was answered after all earlier ones.
    const last = r.samples.at(-1)!;
    expect(last[0] + last[1]).toBeGreaterThanOrEqual(r.due * SERVICE_MS - 5);
    expect(Math.max(...r.samples.map((s) => s[1]))).toBeGreaterThan((r.due - 4) * SERVICE_MS - 200);
  });

  it('sends on schedule however slow the answers are, up to its connections', async () => {
    maxInFlight = 0;
    const r = await run({
      rate: 200,
      seed: 1,
      connections: 100,
      request: () => ({ method: 'POST', path: '/ok', body: '{"a":1}' }),
    });
    expect(r.errors).toBe(0);
    expect(maxInFlight).toBeGreaterThan(3);
    // Far below the ~2 s the same requests take queued on one connection (test above).
    expect(Math.max(...r.samples.map((s) => s[1]))).toBeLessThan((r.due * SERVICE_MS) / 3);
  });

  it('counts non-2xx answers and unanswered requests as errors', async () => {
    const refused = await run({
      rate: 50,
      seed: 3,
      connections: 4,
      request: () => ({ method: 'GET', path: '/refused' }),
    });
    expect(refused.due).toBeGreaterThan(0);
    expect(refused.errors).toBe(refused.due);
    expect(refused.status).toEqual({ 503: refused.due });
    const never = await run({
      rate: 20,
      seed: 5,
      connections: 4,
      timeoutMs: 300,
      request: () => ({ method: 'GET', path: '/never' }),
    });
    expect(never.due).toBeGreaterThan(0);
    expect(never.errors).toBe(never.due);
    expect(never.samples).toHaveLength(0);
    expect(never.failures[0]).toMatch(/no answer within 300 ms/);
  });
});
