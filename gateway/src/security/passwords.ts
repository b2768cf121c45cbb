import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify, type Algorithm } from '@node-rs/argon2';
import { checkPassword, PASSWORD_MIN_LENGTH, type PasswordProblem } from '@parley/protocol/password';
import { AppError } from '../http/errors';

/**
 * Password hashing: Argon2id through @node-rs/argon2 (prebuilt Rust binding, runs on libuv's
 * thread pool; OWASP's first recommendation). A hash is a self-describing PHC string:
 *   $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
 * so parameters can be raised later. Hashes made before Argon2id (node:crypto scrypt,
 * `scrypt$N=32768,r=8,p=3$<salt>$<key>`) still verify, and a successful login re-hashes them
 * (needsRehash is true for every hash not made with the current Argon2id parameters).
 */
export interface PasswordParams {
  /** Memory in KiB (`m=`). */
  memoryKiB: number;
  /** Passes over memory (`t=`). */
  passes: number;
  /** Lanes (`p=`). */
  parallelism: number;
}

/** OWASP's Argon2id baseline (m=19 MiB, t=2, p=1): tens of ms per hash on a 2-core machine. */
export const PRODUCTION_PARAMS: PasswordParams = { memoryKiB: 19_456, passes: 2, parallelism: 1 };
/** Cheap parameters for NODE_ENV=test only (hashes stay verifiable: the format records them). */
export const TEST_PARAMS: PasswordParams = { memoryKiB: 1_024, passes: 1, parallelism: 1 };

/** Parameters for new hashes: the production baseline, or the cheap ones under NODE_ENV=test. */
export const passwordParams = (config: { env: string }): PasswordParams =>
  config.env === 'test' ? TEST_PARAMS : PRODUCTION_PARAMS;

/** Argon2id in @node-rs/argon2's `Algorithm` (an ambient const enum, which isolatedModules cannot read). */
const ARGON2ID = 2 as Algorithm;
const NORMALIZE = (password: string) => password.normalize('NFKC');

/** How the given parameters hash, in words (benchmark settings, logs of configuration). */
export const describePasswordHashing = (params: PasswordParams) =>
  `Argon2id m=${params.memoryKiB} KiB, t=${params.passes}, p=${params.parallelism}`;

export function hashPassword(password: string, params: PasswordParams = PRODUCTION_PARAMS): Promise<string> {
  return argon2Hash(NORMALIZE(password), {
    algorithm: ARGON2ID,
    memoryCost: params.memoryKiB,
    timeCost: params.passes,
    parallelism: params.parallelism,
    outputLen: 32,
  });
}

type Parsed =
  | { kind: 'argon2id'; params: PasswordParams }
  | { kind: 'scrypt'; params: { N: number; r: number; p: number }; salt: Buffer; key: Buffer };

const ARGON2ID_HASH = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,2}),p=(\d{1,2})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const SCRYPT_HASH = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/**
 * Reads a stored hash; null when unreadable. Absurd parameters count as unreadable, so a corrupted
 * row cannot pin the CPU or the memory.
 */
function parseHash(stored: string): Parsed | null {
  const a = ARGON2ID_HASH.exec(stored);
  if (a) {
    const params = { memoryKiB: Number(a[1]), passes: Number(a[2]), parallelism: Number(a[3]) };
    if (params.memoryKiB > 262_144 || params.passes > 10 || params.parallelism > 8) return null;
    if (params.passes < 1 || params.parallelism < 1 || params.memoryKiB < 8 * params.parallelism) return null;
    return { kind: 'argon2id', params };
  }
  const s = SCRYPT_HASH.exec(stored);
  if (s) {
    const params = { N: Number(s[1]), r: Number(s[2]), p: Number(s[3]) };
    if (params.N > 2 ** 20 || params.r > 32 || params.p > 16 || (params.N & (params.N - 1)) !== 0) return null;
    return { kind: 'scrypt', params, salt: Buffer.from(s[4]!, 'base64'), key: Buffer.from(s[5]!, 'base64') };
  }
  return null;
}

/** Key length of the scrypt hashes Parley wrote (fixed: a stored key of another length never matches). */
const SCRYPT_KEY_LENGTH = 32;

function scryptKey(password: string, salt: Buffer, params: { N: number; r: number; p: number }) {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * 2 };
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(NORMALIZE(password), salt, SCRYPT_KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * True only for the right password. Both formats compare in constant time (Argon2id: the
 * argon2 crate compares its password-hash `Output` with `subtle`; scrypt: `timingSafeEqual`).
 * A wrong password, an unreadable hash and a failing hash function all answer false, and the
 * caller never learns which.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  try {
    if (parsed.kind === 'argon2id') return await argon2Verify(stored, NORMALIZE(password));
    const key = await scryptKey(password, parsed.salt, parsed.params);
    return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  } catch {
    return false;
  }
}

/** True when the hash is not Argon2id with exactly these parameters (older scrypt hashes included). */
export function needsRehash(stored: string, params: PasswordParams): boolean {
  const parsed = parseHash(stored);
  if (parsed?.kind !== 'argon2id') return true;
  const p = parsed.params;
  return p.memoryKiB !== params.memoryKiB || p.passes !== params.passes || p.parallelism !== params.parallelism;
}

const dummyHashes = new Map<string, Promise<string>>();
/**
 * Spends the same work as a real verification when the email is unknown, so response time does
 * not reveal whether an account exists.
 */
export async function burnVerification(password: string, params: PasswordParams): Promise<void> {
  const k = describePasswordHashing(params);
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
