import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { UrlRefused, type UrlGuard } from './url-guard';

/** The outcome of one attempt: 2xx is delivered; anything else is retried. */
export type AttemptResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/**
 * Sends one signed attempt (Standard Webhooks headers, signed by the `standardwebhooks` package):
 * no redirects followed, the answer's body ignored, one time limit for the whole exchange, and the
 * SSRF guard applied to the address actually connected to.
 */
export async function sendAttempt(
  guard: UrlGuard,
  target: { url: string; secret: string; eventId: string; payload: string },
  timeoutMs: number,
  signal: AbortSignal,
): Promise<AttemptResult> {
  let url: URL;
  try {
    url = await guard.check(target.url);
  } catch (err) {
    return { ok: false, status: null, error: err instanceof UrlRefused ? err.reason : 'unresolvable' };
  }
  const now = new Date();
  const signature = new Webhook(target.secret).sign(target.eventId, now, target.payload);
  const isHttps = url.protocol === 'https:';
  const body = Buffer.from(target.payload, 'utf8');
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const done = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = (isHttps ? https : http).request(
      url,
      {
        method: 'POST',
        lookup: guard.lookup(isHttps),
        agent: false,
        signal,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          'user-agent': 'Parley-Webhooks/1',
          'webhook-id': target.eventId,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signature,
        },
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        res.on('end', () =>
          done(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `http_${status}` }),
        );
        res.on('error', () => done({ ok: false, status, error: 'response_aborted' }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ ok: false, status: null, error: 'timeout' });
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof UrlRefused) return done({ ok: false, status: null, error: err.reason });
      done({ ok: false, status: null, error: signal.aborted ? 'aborted' : (err.code ?? err.name) });
    });
    req.end(body);
  });
}
