import type { Database } from '../connect';

/** What an emailed token is for. */
export type AccountTokenPurpose = 'verify_email' | 'reset_password';

export interface AccountToken {
  id: string;
  userId: string;
  purpose: AccountTokenPurpose;
  /** verify_email: the address the link was sent to. */
  email: string | null;
  expiresAt: Date;
}

interface TokenRow {
  id: string;
  user_id: string;
  purpose: AccountTokenPurpose;
  email: string | null;
  expires_at: Date | string;
}

const toToken = (r: TokenRow): AccountToken => ({
  id: r.id,
  userId: r.user_id,
  purpose: r.purpose,
  email: r.email,
  expiresAt: new Date(r.expires_at),
});

const COLUMNS = ['id', 'user_id', 'purpose', 'email', 'expires_at'];

/**
 * Single-use emailed tokens (email verification, password reset), stored only as hashes. A token
 * is live until it expires, is used, or a newer token of the same purpose is issued to the account.
 */
export class AccountTokensRepository {
  constructor(private readonly db: Database) {}

  /** Issues a token, consuming every earlier live token of the same purpose for the account. */
  async issue(input: {
    userId: string;
    purpose: AccountTokenPurpose;
    tokenHash: string;
    expiresAt: Date;
    email?: string;
  }): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('account_tokens')
        .where({ user_id: input.userId, purpose: input.purpose })
        .whereNull('consumed_at')
        .update({ consumed_at: trx.fn.now() });
      await trx('account_tokens').insert({
        user_id: input.userId,
        purpose: input.purpose,
        token_hash: input.tokenHash,
        email: input.email ?? null,
        expires_at: input.expiresAt,
      });
    });
  }

  /** The live token with this hash (unused, unexpired, not superseded), without using it. */
  async findLive(tokenHash: string, purpose: AccountTokenPurpose): Promise<AccountToken | undefined> {
    const row = await this.db('account_tokens')
      .where({ token_hash: tokenHash, purpose })
      .whereNull('consumed_at')
      .where('expires_at', '>', this.db.fn.now())
      .first(...COLUMNS);
    return row ? toToken(row) : undefined;
  }

  /** Uses the live token with this hash; one statement, so two concurrent uses cannot both win. */
  async consume(tokenHash: string, purpose: AccountTokenPurpose): Promise<AccountToken | undefined> {
    const [row] = await this.db('account_tokens')
      .where({ token_hash: tokenHash, purpose })
      .whereNull('consumed_at')
      .where('expires_at', '>', this.db.fn.now())
      .update({ consumed_at: this.db.fn.now() })
      .returning(COLUMNS);
    return row ? toToken(row) : undefined;
  }

  /** Consumes every live token of the account (e.g. all reset links once the password changed). */
  async consumeAll(userId: string, purpose: AccountTokenPurpose): Promise<void> {
    await this.db('account_tokens')
      .where({ user_id: userId, purpose })
      .whereNull('consumed_at')
      .update({ consumed_at: this.db.fn.now() });
  }
}
