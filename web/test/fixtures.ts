import type { Utterance } from '@parley/protocol';

export function utterance(
  seq: number,
  role: Utterance['role'],
  text: string,
  extra: Partial<Utterance> = {},
): Utterance {
  const t = new Date(Date.UTC(2025, 0, 1, 12, 0, seq)).toISOString();
  return { seq, role, text, language: 'en', startedAt: t, endedAt: t, interrupted: false, metrics: null, ...extra };
}

export const CONV = '11111111-1111-4111-8111-111111111111';
export const NOW = '2025-01-01T12:00:00.000Z';

/** A fetch stub that answers by "METHOD path" and records every call. */
export function fetchStub(
  routes: Record<string, (url: URL, init: RequestInit) => { status?: number; body?: unknown }>,
) {
  const calls: Array<{ method: string; url: URL; body: unknown }> = [];
  const fn = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://parley.test');
    const method = (init.method ?? 'GET').toUpperCase();
    calls.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const handler = routes[`${method} ${url.pathname}`];
    if (!handler)
      return new Response(JSON.stringify({ error: { code: 'not_found', message: 'Route not found.' } }), {
        status: 404,
      });
    const { status = 200, body } = handler(url, init);
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' },
    });
  };
  return { fn, calls };
}
