import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** A 256-bit random token for a link (43 base64url characters). */
export const newToken = () => randomBytes(32).toString('base64url');

/** What is stored for a token or code: its hex SHA-256 (the inputs carry ≥ 50 random bits, so no slow hash is needed). */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Seals a small secret (the TOTP secret) at rest with AES-256-GCM under a key derived from
 * SESSION_SECRET (HKDF): a database dump alone does not give away second factors. Changing
 * SESSION_SECRET makes sealed secrets unreadable (docs/security.md).
 */
export class Sealer {
  private readonly key: Buffer;
  constructor(masterSecret: string, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', masterSecret, 'parley', purpose, 32));
  }
  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64url'), body.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
  }
  open(sealed: string): string {
    const [v, iv, body, tag] = sealed.split('.');
    if (v !== 'v1' || !iv || !body || !tag) throw new Error('unreadable sealed value');
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
  }
}
