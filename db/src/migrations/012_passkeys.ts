import type { Knex } from 'knex';

/**
 * Passkeys (WebAuthn): each credential's id, COSE public key and signature counter, per account;
 * and the challenges handed out for a ceremony, each usable once until it expires.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('passkeys', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    /** The credential id (base64url), as the authenticator names it. */
    t.text('credential_id').notNullable().unique();
    /** COSE public key. */
    t.binary('public_key').notNullable();
    /** Last signature counter seen (0 for authenticators that do not count). */
    t.bigInteger('counter').notNullable().defaultTo(0);
    t.specificType('transports', 'text[]').notNullable().defaultTo('{}');
    /** singleDevice | multiDevice */
    t.text('device_type').notNullable();
    t.boolean('backed_up').notNullable().defaultTo(false);
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true }).nullable();
    t.index(['user_id']);
  });

  await knex.schema.createTable('webauthn_challenges', (t) => {
    /** The challenge (base64url, 256 random bits) as sent in the ceremony's options. */
    t.text('challenge').primary();
    /** register | authenticate */
    t.text('purpose').notNullable();
    /** register: the signed-in account; authenticate: null (the passkey names its account). */
    t.uuid('user_id').nullable().references('users.id').onDelete('CASCADE');
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
  await knex.raw(
    `ALTER TABLE webauthn_challenges ADD CONSTRAINT webauthn_challenges_purpose_check CHECK (purpose IN ('register', 'authenticate'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webauthn_challenges');
  await knex.schema.dropTable('passkeys');
}
