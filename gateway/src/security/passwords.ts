import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { checkPassword, PASSWORD_MIN_LENGTH, type PasswordProblem } from '@parley/protocol/password';
import { AppError } from '../http/errors';

/**
 * Password hashing with node:crypto scrypt (no native dependency). A hash is self-describing:
 *   scrypt$N=32768,r=8,p=3$<salt base64>$<key base64>
 * so parameters can be raised later and old hashes still verify (and get re-hashed at login).
 */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt baseline (N=2^15, r=8, p=3): ~260 ms and 32 MiB per hash on this hardware. */
export const PRODUCTION_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };
/** Cheap parameters for NODE_ENV=test only (hashes stay verifiable: the format records them). */
export const TEST_PARAMS: ScryptParams = { N: 2 ** 12, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * 2 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string, params: ScryptParams = PRODUCTION_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, params);
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const m = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return null;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Refuse absurd parameters rather than let a corrupted row pin the CPU or memory.
  if (params.N > 2 ** 20 || params.r > 32 || params.p > 16 || (params.N & (params.N - 1)) !== 0) return null;
  return { params, salt: Buffer.from(m[4]!, 'base64'), key: Buffer.from(m[5]!, 'base64') };
}

/** Constant-time comparison; false for a wrong password or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when the hash was made with other parameters than the current ones. */
export function needsRehash(stored: string, params: ScryptParams): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.params.N !== params.N || parsed.params.r !== params.r || parsed.params.p !== params.p;
}

const dummyHashes = new Map<string, Promise<string>>();
/**
 * Spends the same work as a real verification when the email is unknown, so response time does
 * not reveal whether an account exists.
 */
export async function burnVerification(password: string, params: ScryptParams): Promise<void> {
  const k = `${params.N},${params.r},${params.p}`;
  if (!dummyHashes.has(k)) dummyHashes.set(k, hashPassword(randomBytes(16).toString('hex'), params));
  await verifyPassword(password, await dummyHashes.get(k)!);
}

// ---- strength ----------------------------------------------------------------------------

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PASSWORD_MIN_SCORE } from '@parley/protocol/password';

const MESSAGES: Record<PasswordProblem, string> = {
  too_short: `Use at least ${PASSWORD_MIN_LENGTH} characters.`,
  contains_email: 'The password must not contain your email address.',
  too_guessable: 'This password is too easy to guess.',
};

/**
 * Problems with a new password, as client-facing details ({path, message}); empty when strong.
 * The rules are @parley/protocol/password's, which the web client's strength meter uses too.
 */
export function passwordProblems(
  password: string,
  context: { email: string; displayName?: string | undefined },
  path = 'password',
): Array<{ path: string; message: string }> {
  const verdict = checkPassword(password, context);
  return verdict.problems.map((p) => ({
    path,
    message: p === 'too_guessable' && verdict.warning ? `${MESSAGES[p]} ${verdict.warning}` : MESSAGES[p],
  }));
}

/** 400 weak_password with the problems found, for registration and password change alike. */
export const weakPassword = (details: unknown) =>
  new AppError(400, 'weak_password', 'Choose a stronger password.', details);
