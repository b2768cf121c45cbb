import type { Database } from '../connect';
import { PUBLIC_COLUMNS, toUser, type User } from './users';

/** An account at an OpenID Connect provider, linked to one Parley user. */
export interface Identity {
  id: string;
  userId: string;
  provider: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

interface IdentityRow {
  id: string;
  user_id: string;
  provider: string;
  subject: string;
  email: string | null;
  email_verified: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

/** What a provider vouched for in a verified ID token (and userinfo). */
export interface ProviderAccount {
  provider: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

const toIdentity = (r: IdentityRow): Identity => ({
  id: r.id,
  userId: r.user_id,
  provider: r.provider,
  subject: r.subject,
  email: r.email,
  emailVerified: r.email_verified,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

const identityRow = (userId: string, a: ProviderAccount) => ({
  user_id: userId,
  provider: a.provider,
  subject: a.subject,
  email: a.email,
  email_verified: a.emailVerified,
  last_used_at: new Date(),
});

/** Accounts at OpenID Connect providers linked to Parley users (user_identities). */
export class IdentitiesRepository {
  constructor(private readonly db: Database) {}

  /** The identity for a provider account, if some user linked it. */
  async find(provider: string, subject: string): Promise<Identity | undefined> {
    const row: IdentityRow | undefined = await this.db('user_identities').where({ provider, subject }).first();
    return row ? toIdentity(row) : undefined;
  }

  /** Oldest first. */
  async list(userId: string): Promise<Identity[]> {
    const rows: IdentityRow[] = await this.db('user_identities')
      .where({ user_id: userId })
      .orderBy([{ column: 'created_at' }, { column: 'id' }]);
    return rows.map(toIdentity);
  }

  /**
   * A new user with no password, signed up through a provider, and its identity, in one
   * transaction. The account's email counts as verified only if the provider said so. A taken email
   * (or an identity linked meanwhile) surfaces as the driver's unique violation.
   */
  async createUser(input: { displayName: string; account: ProviderAccount & { email: string } }): Promise<User> {
    return this.db.transaction(async (trx) => {
      const [row] = await trx('users')
        .insert({
          email: input.account.email.trim(),
          password_hash: null,
          email_verified: input.account.emailVerified,
          display_name: input.displayName,
        })
        .returning([...PUBLIC_COLUMNS]);
      await trx('user_identities').insert(identityRow(row.id, input.account));
      return toUser(row);
    });
  }

  /** Links a provider account to a user. Already linked (to anyone) surfaces as a unique violation. */
  async link(userId: string, account: ProviderAccount): Promise<Identity> {
    const [row] = await this.db('user_identities').insert(identityRow(userId, account)).returning('*');
    return toIdentity(row);
  }

  /** Records a sign-in through the identity (and the email the provider reports now). */
  async touch(id: string, seen: { email: string | null; emailVerified: boolean }): Promise<void> {
    await this.db('user_identities')
      .where({ id })
      .update({ last_used_at: this.db.fn.now(), email: seen.email, email_verified: seen.emailVerified });
  }

  /**
   * Removes one of the user's identities, but never the last way to sign in: the user must keep a
   * password or another identity. The user row is locked so two concurrent unlinks cannot both pass.
   */
  async unlink(userId: string, identityId: string): Promise<'unlinked' | 'not_found' | 'last_sign_in_method'> {
    return this.db.transaction(async (trx) => {
      const user = await trx('users').where({ id: userId }).forUpdate().first('password_hash');
      if (!user) return 'not_found';
      const identities: Array<{ id: string }> = await trx('user_identities').where({ user_id: userId }).select('id');
      if (!identities.some((i) => i.id === identityId)) return 'not_found';
      if (user.password_hash === null && identities.length < 2) return 'last_sign_in_method';
      await trx('user_identities').where({ id: identityId, user_id: userId }).delete();
      return 'unlinked';
    });
  }
}
