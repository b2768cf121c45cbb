import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed service requests (agent → gateway /internal routes), Stripe style:
 *   X-Parley-Signature: t=<unix ms>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 * The timestamp bounds replay; ingest is also idempotent, so a replay inside the window is inert.
 * Node-only: import as '@parley/protocol/signature', never from the browser bundle.
 */
export const SIGNATURE_HEADER = 'x-parley-signature';
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

export function signBody(secret: string, body: string, now = Date.now()): string {
  const mac = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
  return `t=${now},v1=${mac}`;
}

export type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'expired' | 'mismatch';

export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  now = Date.now(),
): SignatureCheck {
  if (!header) return 'missing';
  const m = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return 'malformed';
  const t = Number(m[1]);
  if (Math.abs(now - t) > SIGNATURE_TOLERANCE_MS) return 'expired';
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(m[2]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'mismatch';
}
