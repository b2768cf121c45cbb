import type { Database } from '../connect';

export interface Passkey {
  id: string;
  userId: string;
  /** base64url, as the authenticator names the credential. */
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type ChallengePurpose = 'register' | 'authenticate';

interface PasskeyRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  counter: string | number;
  transports: string[];
  device_type: string;
  backed_up: boolean;
  name: string;
  created_at: Date | string;
  last_used_at: Date | string | null;
}

const toPasskey = (r: PasskeyRow): Passkey => ({
  id: r.id,
  userId: r.user_id,
  credentialId: r.credential_id,
  publicKey: new Uint8Array(r.public_key),
  counter: Number(r.counter),
  transports: r.transports ?? [],
  deviceType: r.device_type,
  backedUp: r.backed_up,
  name: r.name,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
});

/**
 * Passkeys (WebAuthn credentials) of an account, and the ceremony challenges. A challenge is taken
 * with one DELETE … RETURNING, so it works once even when raced, and not after it expires; a
 * counter moves only forward (one conditional UPDATE).
 */
export class PasskeysRepository {
  constructor(private readonly db: Database) {}

  async list(userId: string): Promise<Passkey[]> {
    const rows = await this.db<PasskeyRow>('passkeys').where({ user_id: userId }).orderBy('created_at', 'asc');
    return rows.map(toPasskey);
  }

  async findByCredentialId(credentialId: string): Promise<Passkey | undefined> {
    const row = await this.db<PasskeyRow>('passkeys').where({ credential_id: credentialId }).first();
    return row ? toPasskey(row) : undefined;
  }

  /** Throws a unique violation (23505) when the credential is already registered. */
  async add(p: Omit<Passkey, 'id' | 'createdAt' | 'lastUsedAt'>): Promise<Passkey> {
    const [row] = await this.db<PasskeyRow>('passkeys')
      .insert({
        user_id: p.userId,
        credential_id: p.credentialId,
        public_key: Buffer.from(p.publicKey),
        counter: p.counter,
        transports: p.transports,
        device_type: p.deviceType,
        backed_up: p.backedUp,
        name: p.name,
      })
      .returning('*');
    return toPasskey(row!);
  }

  /** Removes one of the account's own passkeys; false when `id` is not one of them. */
  async remove(userId: string, id: string): Promise<boolean> {
    return (await this.db('passkeys').where({ user_id: userId, id }).delete()) > 0;
  }

  /**
   * Records a use: the new counter must be above the stored one (unless both are 0, an
   * authenticator that does not count). False when another use got there first with a counter as high.
   */
  async recordUse(id: string, counter: number, backedUp: boolean): Promise<boolean> {
    const n = await this.db('passkeys')
      .where({ id })
      // A counter of 0 is an authenticator that does not count: fine only while it never has.
      .where('counter', counter === 0 ? '=' : '<', counter)
      .update({ counter, backed_up: backedUp, last_used_at: this.db.fn.now() });
    return n > 0;
  }

  async issueChallenge(challenge: string, purpose: ChallengePurpose, userId: string | null, expiresAt: Date) {
    await this.db('webauthn_challenges').where('expires_at', '<', this.db.fn.now()).delete();
    await this.db('webauthn_challenges').insert({ challenge, purpose, user_id: userId, expires_at: expiresAt });
  }

  /** Takes a live challenge of that purpose (and account, for registration): true once, then never again. */
  async consumeChallenge(challenge: string, purpose: ChallengePurpose, userId: string | null): Promise<boolean> {
    const q = this.db('webauthn_challenges').where({ challenge, purpose }).where('expires_at', '>', this.db.fn.now());
    if (userId) q.where({ user_id: userId });
    else q.whereNull('user_id');
    const rows = await q.delete().returning('challenge');
    return rows.length > 0;
  }
}
