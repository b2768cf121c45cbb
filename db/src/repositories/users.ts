import type { Database } from '../connect';

export type UserRole = 'user' | 'admin';

/** A user as features see it: never carries the password hash. */
export interface User {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
  sessionEpoch: number;
  /** Whether the current email address was proven (its emailed link, or a provider that vouched for it). */
  emailVerified: boolean;
  /** Set while an admin has disabled the account: no sign-in, no session, no API token. */
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A user as the admin listing shows it: with the account's own limits (null: the default). */
export interface AdminListedUser extends User {
  quotaMinutesPerDay: number | null;
  maxCallSeconds: number | null;
}

interface UserRow {
  id: string;
  email: string;
  /** Null for accounts created through an OpenID Connect provider. */
  password_hash: string | null;
  display_name: string;
  role: UserRole;
  session_epoch: number;
  email_verified: boolean;
  disabled_at?: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The columns of a user as features see it (never the password hash). */
export const PUBLIC_COLUMNS = [
  'id',
  'email',
  'display_name',
  'role',
  'session_epoch',
  'email_verified',
  'disabled_at',
  'created_at',
  'updated_at',
] as const;

export function toUser(row: Omit<UserRow, 'password_hash'>): User {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    sessionEpoch: row.session_epoch,
    emailVerified: Boolean(row.email_verified),
    disabledAt: row.disabled_at ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Emails compare case-insensitively (unique index on lower(email)); stored as typed, trimmed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Accounts: profile, password hash, role and the session epoch that voids older sessions. */
export class UsersRepository {
  constructor(private readonly db: Database) {}

  /** Inserts a user. A taken email surfaces as the driver's unique violation (isUniqueViolation). */
  async create(input: { email: string; passwordHash: string; displayName: string; role?: UserRole }): Promise<User> {
    const [row] = await this.db('users')
      .insert({
        email: input.email.trim(),
        password_hash: input.passwordHash,
        display_name: input.displayName,
        role: input.role ?? 'user',
      })
      .returning([...PUBLIC_COLUMNS]);
    return toUser(row);
  }

  /** The account's own limits (migration 007); null fields take the configured defaults. */
  async limits(id: string): Promise<{ quotaMinutesPerDay: number | null; maxCallSeconds: number | null }> {
    const row = await this.db('users').where({ id }).first('quota_minutes_per_day', 'max_call_seconds');
    const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return { quotaMinutesPerDay: n(row?.quota_minutes_per_day), maxCallSeconds: n(row?.max_call_seconds) };
  }

  /** Sets the account's own limits (null: back to the configured default); false when no such account. */
  async setLimits(
    id: string,
    limits: { quotaMinutesPerDay?: number | null; maxCallSeconds?: number | null },
  ): Promise<boolean> {
    const changes: Record<string, number | null> = {};
    if (limits.quotaMinutesPerDay !== undefined) changes.quota_minutes_per_day = limits.quotaMinutesPerDay;
    if (limits.maxCallSeconds !== undefined) changes.max_call_seconds = limits.maxCallSeconds;
    if (Object.keys(changes).length === 0) return (await this.db('users').where({ id }).first('id')) !== undefined;
    return (
      (await this.db('users')
        .where({ id })
        .update({ ...changes, updated_at: this.db.fn.now() })) > 0
    );
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db('users')
      .where({ id })
      .first(...PUBLIC_COLUMNS);
    return row ? toUser(row) : undefined;
  }

  /**
   * For login only: the user with its password hash (null: the account signs in only through a
   * provider), matched case-insensitively by email.
   */
  async findCredentialsByEmail(email: string): Promise<{ user: User; passwordHash: string | null } | undefined> {
    const row: UserRow | undefined = await this.db('users')
      .whereRaw('lower(email) = ?', [normalizeEmail(email)])
      .first();
    return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined;
  }

  async passwordHash(userId: string): Promise<string | undefined> {
    const row = await this.db('users').where({ id: userId }).first('password_hash');
    return row?.password_hash ?? undefined;
  }

  /** Whether the user can sign in with a password (accounts made through a provider have none). */
  async hasPassword(userId: string): Promise<boolean> {
    return Boolean(await this.passwordHash(userId));
  }

  async updateProfile(userId: string, changes: { displayName?: string; email?: string }): Promise<User | undefined> {
    const patch: Record<string, unknown> = { updated_at: this.db.fn.now() };
    if (changes.displayName !== undefined) patch.display_name = changes.displayName;
    if (changes.email !== undefined) {
      patch.email = changes.email.trim();
      // A new address is unproven until its own link is followed.
      patch.email_verified = this.db.raw('CASE WHEN lower(email) = lower(?) THEN email_verified ELSE false END', [
        changes.email.trim(),
      ]);
    }
    const [row] = await this.db('users')
      .where({ id: userId })
      .update(patch)
      .returning([...PUBLIC_COLUMNS]);
    return row ? toUser(row) : undefined;
  }

  /**
   * Stores a new password hash and moves the session epoch on, which voids every session stamped
   * with the old epoch. Returns the new epoch, or undefined when no row matched: the user is gone or,
   * with `onlyIfUnset` (first password of an account made through a sign-in provider), it already
   * has a password (the check and the write are one statement).
   */
  async setPasswordHash(
    userId: string,
    passwordHash: string,
    options: { onlyIfUnset?: boolean } = {},
  ): Promise<number | undefined> {
    const query = this.db('users').where({ id: userId });
    if (options.onlyIfUnset) query.whereNull('password_hash');
    const [row] = await query
      .update({
        password_hash: passwordHash,
        session_epoch: this.db.raw('session_epoch + 1'),
        updated_at: this.db.fn.now(),
      })
      .returning(['session_epoch']);
    return row?.session_epoch;
  }

  /**
   * Marks the address verified, only while it is still the account's address (a link sent to an
   * old address proves nothing about the new one). True when it matched.
   */
  async markEmailVerified(userId: string, email: string): Promise<boolean> {
    const n = await this.db('users')
      .where({ id: userId })
      .whereRaw('lower(email) = ?', [normalizeEmail(email)])
      .update({ email_verified: true });
    return n > 0;
  }

  /**
   * Re-hashes the same password with the current algorithm or parameters (login upgrade); sessions
   * stay valid. Only while the stored hash is still `fromHash`: a password changed meanwhile (another
   * session, a reset) is never overwritten by the old password's new hash. True when it was stored.
   */
  async upgradePasswordHash(userId: string, fromHash: string, toHash: string): Promise<boolean> {
    const n = await this.db('users').where({ id: userId, password_hash: fromHash }).update({ password_hash: toHash });
    return n > 0;
  }

  /** Voids every session of the user ("log out everywhere"). Returns the new epoch. */
  async bumpSessionEpoch(userId: string): Promise<number | undefined> {
    const [row] = await this.db('users')
      .where({ id: userId })
      .update({ session_epoch: this.db.raw('session_epoch + 1') })
      .returning(['session_epoch']);
    return row?.session_epoch;
  }

  async setRole(userId: string, role: UserRole): Promise<void> {
    await this.db('users').where({ id: userId }).update({ role, updated_at: this.db.fn.now() });
  }

  /**
   * Disables (ends every session by moving the epoch on, in the same statement) or enables the
   * account. Undefined when no such account; otherwise the account as it now is.
   */
  async setDisabled(userId: string, disabled: boolean): Promise<User | undefined> {
    const [row] = await this.db('users')
      .where({ id: userId })
      .update(
        disabled
          ? {
              disabled_at: this.db.raw('coalesce(disabled_at, now())'),
              session_epoch: this.db.raw('session_epoch + 1'),
              updated_at: this.db.fn.now(),
            }
          : { disabled_at: null, updated_at: this.db.fn.now() },
      )
      .returning([...PUBLIC_COLUMNS]);
    return row ? toUser(row) : undefined;
  }

  /**
   * Newest first, for the admin listing, with each account's own limits. `q` matches email or
   * display name case-insensitively anywhere (LIKE wildcards in it are taken literally).
   */
  async list(page: { limit: number; offset: number; q?: string | undefined }): Promise<{
    users: AdminListedUser[];
    total: number;
  }> {
    const filtered = () => {
      const query = this.db('users');
      const q = page.q?.trim();
      if (q) {
        const pattern = `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        query.where((w) =>
          w
            .whereRaw(`lower(email) LIKE ? ESCAPE '\\'`, [pattern])
            .orWhereRaw(`lower(display_name) LIKE ? ESCAPE '\\'`, [pattern]),
        );
      }
      return query;
    };
    const [rows, countRow] = await Promise.all([
      filtered()
        .select(...PUBLIC_COLUMNS, 'quota_minutes_per_day', 'max_call_seconds')
        .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }])
        .limit(page.limit)
        .offset(page.offset),
      filtered().count<{ count: string | number }[]>({ count: '*' }).first(),
    ]);
    const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return {
      users: rows.map((r) => ({
        ...toUser(r),
        quotaMinutesPerDay: n(r.quota_minutes_per_day),
        maxCallSeconds: n(r.max_call_seconds),
      })),
      total: Number(countRow?.count ?? 0),
    };
  }
}
