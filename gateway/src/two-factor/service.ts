import { randomInt } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { Repositories } from '@parley/db';
import type { TwoFactorSetup } from '@parley/protocol';
import type { AppContext } from '../context';
import { AppError } from '../http/errors';
import { Sealer, sha256 } from '../security/tokens';

export const BACKUP_CODE_COUNT = 10;
/** 32 letters and digits without look-alikes (0/o, 1/l): 10 characters carry 50 random bits. */
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A backup code as typed: case, spaces and dashes do not matter. */
const normalizeBackupCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');

export function newBackupCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: BACKUP_CODE_COUNT }, () => {
    const raw = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
  return { codes, hashes: codes.map((c) => sha256(normalizeBackupCode(c))) };
}

export type SecondFactorMethod = 'totp' | 'backup_code';
export interface SecondFactorInput {
  code?: string | undefined;
  backupCode?: string | undefined;
}

/**
 * TOTP (RFC 6238 through otplib: 6 digits, 30 s, ±1 step accepted) and backup codes. A code is
 * accepted once: the accepted time step is stored and only a later one passes.
 */
export class TwoFactorService {
  private readonly sealer: Sealer;
  constructor(
    private readonly repos: Repositories,
    masterSecret: string,
    private readonly issuer = 'Parley',
  ) {
    this.sealer = new Sealer(masterSecret, 'totp-secret');
  }

  isEnabled(userId: string) {
    return this.repos.twoFactor.isEnabled(userId);
  }

  /** A new pending secret (replacing an unconfirmed one); null when the factor is already on. */
  async setup(userId: string, email: string): Promise<TwoFactorSetup | null> {
    const secret = generateSecret();
    if (!(await this.repos.twoFactor.startSetup(userId, this.sealer.seal(secret)))) return null;
    const otpauthUri = generateURI({ issuer: this.issuer, label: email, secret });
    const svg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, otpauthUri, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
  }

  /** The time step a code matches (±1 step), or null. Does not record it. */
  private async matchingStep(sealed: string, code: string, after: number | null): Promise<number | null> {
    const secret = this.sealer.open(sealed);
    const r = await verify({
      secret,
      token: code,
      epochTolerance: 30,
      ...(after !== null ? { afterTimeStep: after } : {}),
    });
    return r.valid && 'timeStep' in r ? r.timeStep : null;
  }

  /** Confirms a pending set-up with a first code: the factor is on; answers the first backup codes. */
  async enable(userId: string, code: string): Promise<string[] | 'invalid' | 'not_pending'> {
    const f = await this.repos.twoFactor.totp(userId);
    if (!f || f.enabledAt) return 'not_pending';
    const step = await this.matchingStep(f.secretSealed, code, f.lastTimeStep);
    if (step === null) return 'invalid';
    const { codes, hashes } = newBackupCodes();
    return (await this.repos.twoFactor.acceptTimeStep(userId, step, { backupCodeHashes: hashes })) ? codes : 'invalid';
  }

  /**
   * Checks a second factor of an account that has one on: an authenticator code not used before,
   * or an unused backup code (used up by this call). The method that passed, or null.
   */
  async check(userId: string, input: SecondFactorInput): Promise<SecondFactorMethod | null> {
    const f = await this.repos.twoFactor.totp(userId);
    if (!f?.enabledAt) return null;
    if (input.code !== undefined) {
      const step = await this.matchingStep(f.secretSealed, input.code, f.lastTimeStep);
      return step !== null && (await this.repos.twoFactor.acceptTimeStep(userId, step)) ? 'totp' : null;
    }
    if (input.backupCode !== undefined) {
      const used = await this.repos.twoFactor.useBackupCode(userId, sha256(normalizeBackupCode(input.backupCode)));
      return used ? 'backup_code' : null;
    }
    return null;
  }

  async regenerateBackupCodes(userId: string): Promise<string[]> {
    const { codes, hashes } = newBackupCodes();
    await this.repos.twoFactor.replaceBackupCodes(userId, hashes);
    return codes;
  }

  async status(userId: string) {
    const enabled = await this.repos.twoFactor.isEnabled(userId);
    return { enabled, backupCodesLeft: enabled ? await this.repos.twoFactor.backupCodesLeft(userId) : 0 };
  }

  disable(userId: string) {
    return this.repos.twoFactor.disable(userId);
  }
}

const cache = new WeakMap<AppContext, TwoFactorService>();
/** The app's one TwoFactorService. */
export function twoFactorService(ctx: AppContext): TwoFactorService {
  let s = cache.get(ctx);
  if (!s) cache.set(ctx, (s = new TwoFactorService(ctx.repos, ctx.config.session.secret)));
  return s;
}

export const invalidCode = () => new AppError(401, 'invalid_code', 'That code is not valid.');
