import type { Knex } from 'knex';

/**
 * Accounts people can trust and recover (users.email_verified comes from migration 003): single-use emailed tokens
 * (email verification, password reset) stored only as SHA-256 hashes; a TOTP second factor (its
 * secret sealed with a key derived from SESSION_SECRET, the last accepted time step to refuse
 * replays) and its single-use backup codes (hashed).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('account_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    /** verify_email | reset_password */
    t.text('purpose').notNullable();
    /** Hex SHA-256 of the emailed token. */
    t.text('token_hash').notNullable().unique();
    /** verify_email: the address the link was sent to (a later email change voids it). */
    t.text('email').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    /** Set when used or superseded by a newer token of the same purpose. */
    t.timestamp('consumed_at', { useTz: true }).nullable();
    t.index(['user_id', 'purpose']);
  });
  await knex.raw(
    `ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check CHECK (purpose IN ('verify_email', 'reset_password'))`,
  );

  await knex.schema.createTable('user_totp', (t) => {
    t.uuid('user_id').primary().references('users.id').onDelete('CASCADE');
    /** The base32 secret, sealed (AES-256-GCM) by the gateway. */
    t.text('secret_sealed').notNullable();
    /** Null while set-up waits for the first code; the factor is on once set. */
    t.timestamp('enabled_at', { useTz: true }).nullable();
    /** The last accepted 30-second time step: a code of that step or an earlier one is refused. */
    t.bigInteger('last_time_step').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('backup_codes', (t) => {
    t.bigIncrements('id');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    /** Hex SHA-256 of the normalized code (codes carry 50 random bits; one use each). */
    t.text('code_hash').notNullable();
    t.timestamp('used_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('backup_codes');
  await knex.schema.dropTable('user_totp');
  await knex.schema.dropTable('account_tokens');
}
