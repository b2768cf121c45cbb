import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { errors } from '../http/errors';

/**
 * Opaque keyset cursors for GET /api/conversations: base64url(JSON) + "." + base64url(HMAC).
 * The HMAC (keyed from the session secret) makes a cursor tamper-evident; the payload also
 * carries a hash of the filters it was made for, so a cursor cannot be replayed against another
 * search. Any bad cursor is a 400 validation_failed, never a database error.
 */

const Payload = z.object({
  v: z.literal(1),
  /** created_at of the last item, UTC with microseconds. */
  t: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  id: z.string().uuid(),
  /** Filter fingerprint. */
  f: z.string().max(32),
});
export type CursorPayload = z.infer<typeof Payload>;

export interface CursorFilters {
  q?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export function filterFingerprint(f: CursorFilters): string {
  return createHash('sha256')
    .update(JSON.stringify([f.q ?? '', f.from ?? '', f.to ?? '']))
    .digest('base64url')
    .slice(0, 16);
}

export class CursorCodec {
  private readonly key: Buffer;
  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('parley:history-cursor:v1').digest();
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, 16);
  }

  encode(position: { createdAt: string; id: string }, filters: CursorFilters): string {
    const body = Buffer.from(
      JSON.stringify({ v: 1, t: position.createdAt, id: position.id, f: filterFingerprint(filters) }),
    ).toString('base64url');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The position a cursor points at; throws a 400 for anything forged, altered or mismatched. */
  decode(cursor: string, filters: CursorFilters): { createdAt: string; id: string } {
    const bad = () => errors.validation([{ path: 'cursor', message: 'Invalid cursor.' }], 'The cursor is not valid.');
    const m = /^([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{22})$/.exec(cursor);
    if (!m) throw bad();
    const [, body, sig] = m as unknown as [string, string, string];
    const given = Buffer.from(sig, 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad();
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw bad();
    }
    const parsed = Payload.safeParse(json);
    if (!parsed.success || parsed.data.f !== filterFingerprint(filters)) throw bad();
    return { createdAt: parsed.data.t, id: parsed.data.id };
  }
}
