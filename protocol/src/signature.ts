import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed service requests (agent → gateway /internal routes), Stripe style:
 *   X-Parley-Signature: t=<unix ms>,v1=<hex HMAC-SHA256(secret, "<t>.<path>.<raw body>")>
 * The path binds a signature to its target (a batch signed for one conversation is refused on
 * another's URL); the timestamp bounds replay, and ingest is idempotent, so a replay of the same
 * request inside the window is inert.
 * Node-only: import as '@parley/protocol/signature', never from the browser bundle.
 */
export const SIGNATURE_HEADER = 'x-parley-signature';
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

const mac = (secret: string, t: number, path: string, body: string) =>
  createHmac('sha256', secret).update(`${t}.${path}.${body}`).digest();

/** `path` is the URL path without query string, e.g. /internal/conversations/<id>/events. */
export function signRequest(secret: string, path: string, body: string, now = Date.now()): string {
  return `t=${now},v1=${mac(secret, now, path, body).toString('hex')}`;
}

export type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'expired' | 'mismatch';

export function verifyRequest(
  secret: string,
  header: string | undefined,
  path: string,
  body: string,
  now = Date.now(),
): SignatureCheck {
  if (!header) return 'missing';
  const m = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return 'malformed';
  const t = Number(m[1]);
  if (Math.abs(now - t) > SIGNATURE_TOLERANCE_MS) return 'expired';
  const expected = mac(secret, t, path, body);
  const given = Buffer.from(m[2]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'mismatch';
}
