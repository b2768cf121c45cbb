import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { zxcvbn, zxcvbnOptions } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
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

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;
export const PASSWORD_MIN_SCORE = 3;

let zxcvbnReady = false;
function ensureZxcvbn() {
  if (zxcvbnReady) return;
  zxcvbnOptions.setOptions({
    translations: en.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary },
  });
  zxcvbnReady = true;
}

/**
 * Problems with a new password, as client-facing details ({path, message}); empty when strong.
 * Rules: at least 10 characters, zxcvbn score >= 3 (catches common and guessable passwords),
 * and not containing the local part of the account's email.
 */
export function passwordProblems(
  password: string,
  context: { email: string; displayName?: string | undefined },
  path = 'password',
): Array<{ path: string; message: string }> {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) problems.push(`Use at least ${PASSWORD_MIN_LENGTH} characters.`);
  const local = context.email.split('@')[0]?.trim().toLowerCase() ?? '';
  if (local.length >= 3 && password.toLowerCase().includes(local))
    problems.push('The password must not contain your email address.');
  if (problems.length === 0) {
    ensureZxcvbn();
    // zxcvbn's cost grows with length; the first 100 characters decide the score.
    const userInputs = [local, context.email.toLowerCase(), context.displayName ?? ''].filter(Boolean);
    const result = zxcvbn(password.slice(0, 100), userInputs);
    if (result.score < PASSWORD_MIN_SCORE) {
      const hint = result.feedback.warning ? ` ${result.feedback.warning}` : '';
      problems.push(`This password is too easy to guess.${hint}`.trim());
    }
  }
  return problems.map((message) => ({ path, message }));
}

/** 400 weak_password with the problems found, for registration and password change alike. */
export const weakPassword = (details: unknown) =>
  new AppError(400, 'weak_password', 'Choose a stronger password.', details);
