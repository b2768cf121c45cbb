import type { Database } from '../connect';

export type UserRole = 'user' | 'admin';

/** A user as features see it: never carries the password hash. */
export interface User {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
  sessionEpoch: number;
  createdAt: Date;
  updatedAt: Date;
}

interface UserRow {
  id: string;
  email: string;
  /** Null for accounts created through an OpenID Connect provider. */
  password_hash: string | null;
  display_name: string;
  role: UserRole;
  session_epoch: number;
  created_at: Date;
  updated_at: Date;
}

const PUBLIC_COLUMNS = ['id', 'email', 'display_name', 'role', 'session_epoch', 'created_at', 'updated_at'] as const;

function toUser(row: Omit<UserRow, 'password_hash'>): User {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    sessionEpoch: row.session_epoch,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Emails compare case-insensitively (unique index on lower(email)); stored as typed, trimmed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Inserts a user. A taken email surfaces as the driver's unique violation (isUniqueViolation). */
export async function createUser(
  db: Database,
  input: { email: string; passwordHash: string; displayName: string; role?: UserRole },
): Promise<User> {
  const [row] = await db('users')
    .insert({
      email: input.email.trim(),
      password_hash: input.passwordHash,
      display_name: input.displayName,
      role: input.role ?? 'user',
    })
    .returning([...PUBLIC_COLUMNS]);
  return toUser(row);
}

export async function findUserById(db: Database, id: string): Promise<User | undefined> {
  const row = await db('users')
    .where({ id })
    .first(...PUBLIC_COLUMNS);
  return row ? toUser(row) : undefined;
}

/**
 * For login only: the user with its password hash (null: the account signs in only through a
 * provider), matched case-insensitively by email.
 */
export async function findUserCredentialsByEmail(
  db: Database,
  email: string,
): Promise<{ user: User; passwordHash: string | null } | undefined> {
  const row: UserRow | undefined = await db('users')
    .whereRaw('lower(email) = ?', [normalizeEmail(email)])
    .first();
  return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined;
}

export async function getPasswordHash(db: Database, userId: string): Promise<string | undefined> {
  const row = await db('users').where({ id: userId }).first('password_hash');
  return row?.password_hash ?? undefined;
}

export async function updateUserProfile(
  db: Database,
  userId: string,
  changes: { displayName?: string; email?: string },
): Promise<User | undefined> {
  const patch: Record<string, unknown> = { updated_at: db.fn.now() };
  if (changes.displayName !== undefined) patch.display_name = changes.displayName;
  if (changes.email !== undefined) patch.email = changes.email.trim();
  const [row] = await db('users')
    .where({ id: userId })
    .update(patch)
    .returning([...PUBLIC_COLUMNS]);
  return row ? toUser(row) : undefined;
}

/**
 * Stores a new password hash and moves the session epoch on, which voids every session stamped
 * with the old epoch. Returns the new epoch.
 */
export async function setPasswordHash(db: Database, userId: string, passwordHash: string): Promise<number | undefined> {
  const [row] = await db('users')
    .where({ id: userId })
    .update({ password_hash: passwordHash, session_epoch: db.raw('session_epoch + 1'), updated_at: db.fn.now() })
    .returning(['session_epoch']);
  return row?.session_epoch;
}

/** Voids every session of the user ("log out everywhere"). Returns the new epoch. */
export async function bumpSessionEpoch(db: Database, userId: string): Promise<number | undefined> {
  const [row] = await db('users')
    .where({ id: userId })
    .update({ session_epoch: db.raw('session_epoch + 1') })
    .returning(['session_epoch']);
  return row?.session_epoch;
}

export async function setUserRole(db: Database, userId: string, role: UserRole): Promise<void> {
  await db('users').where({ id: userId }).update({ role, updated_at: db.fn.now() });
}

/** Newest first, for the admin listing. */
export async function listUsers(
  db: Database,
  page: { limit: number; offset: number },
): Promise<{ users: User[]; total: number }> {
  const [rows, countRow] = await Promise.all([
    db('users')
      .select(...PUBLIC_COLUMNS)
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }])
      .limit(page.limit)
      .offset(page.offset),
    db('users').count<{ count: string | number }[]>({ count: '*' }).first(),
  ]);
  return { users: rows.map(toUser), total: Number(countRow?.count ?? 0) };
}

/** Re-hashes the same password with new parameters (login upgrade); sessions stay valid. */
export async function upgradePasswordHash(db: Database, userId: string, passwordHash: string): Promise<void> {
  await db('users').where({ id: userId }).update({ password_hash: passwordHash });
}
