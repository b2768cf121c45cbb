import type { Database } from '../connect';

export interface TotpFactor {
  /** Sealed by the gateway; the repository never sees the plain secret. */
  secretSealed: string;
  /** Null while set-up waits for the first code. */
  enabledAt: Date | null;
  lastTimeStep: number | null;
}

/**
 * The account's second factor: a TOTP secret (pending until confirmed with a first code) and ten
 * single-use backup codes, stored as hashes. Accepting a time step or a backup code is one
 * conditional statement, so a code raced twice is accepted once.
 */
export class TwoFactorRepository {
  constructor(private readonly db: Database) {}

  async totp(userId: string): Promise<TotpFactor | undefined> {
    const row = await this.db('user_totp').where({ user_id: userId }).first();
    if (!row) return undefined;
    return {
      secretSealed: row.secret_sealed,
      enabledAt: row.enabled_at ? new Date(row.enabled_at) : null,
      lastTimeStep: row.last_time_step === null ? null : Number(row.last_time_step),
    };
  }

  async isEnabled(userId: string): Promise<boolean> {
    return Boolean((await this.totp(userId))?.enabledAt);
  }

  /** Starts (or restarts) set-up with a new secret; refused (false) while the factor is on. */
  async startSetup(userId: string, secretSealed: string): Promise<boolean> {
    const rows = await this.db.raw(
      `INSERT INTO user_totp (user_id, secret_sealed) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, last_time_step = NULL, created_at = now()
       WHERE user_totp.enabled_at IS NULL
       RETURNING user_id`,
      [userId, secretSealed],
    );
    return (rows.rows ?? rows).length > 0;
  }

  /**
   * Records `timeStep` as used if it is later than the last accepted one: false for a replayed (or
   * older) code. `enable` also turns a pending factor on and stores its first backup codes.
   */
  async acceptTimeStep(userId: string, timeStep: number, enable?: { backupCodeHashes: string[] }): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const q = trx('user_totp')
        .where({ user_id: userId })
        .where((w) => w.whereNull('last_time_step').orWhere('last_time_step', '<', timeStep));
      if (enable) q.whereNull('enabled_at');
      else q.whereNotNull('enabled_at');
      const n = await q.update({
        last_time_step: timeStep,
        ...(enable ? { enabled_at: trx.fn.now() } : {}),
      });
      if (n === 0) return false;
      if (enable) await this.replaceCodes(trx, userId, enable.backupCodeHashes);
      return true;
    });
  }

  private async replaceCodes(db: Database, userId: string, hashes: string[]) {
    await db('backup_codes').where({ user_id: userId }).delete();
    await db('backup_codes').insert(hashes.map((code_hash) => ({ user_id: userId, code_hash })));
  }

  /** A new set of backup codes; every earlier code stops working. */
  async replaceBackupCodes(userId: string, hashes: string[]): Promise<void> {
    await this.db.transaction((trx) => this.replaceCodes(trx, userId, hashes));
  }

  /** Uses an unused backup code of the account: true once per code. */
  async useBackupCode(userId: string, codeHash: string): Promise<boolean> {
    const n = await this.db('backup_codes')
      .where({ user_id: userId, code_hash: codeHash })
      .whereNull('used_at')
      .update({ used_at: this.db.fn.now() });
    return n > 0;
  }

  async backupCodesLeft(userId: string): Promise<number> {
    const row = await this.db('backup_codes')
      .where({ user_id: userId })
      .whereNull('used_at')
      .count<{ count: string | number }[]>({ count: '*' })
      .first();
    return Number(row?.count ?? 0);
  }

  /** Turns the second factor off: the secret and every backup code go. */
  async disable(userId: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('backup_codes').where({ user_id: userId }).delete();
      await trx('user_totp').where({ user_id: userId }).delete();
    });
  }
}
