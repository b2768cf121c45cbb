import type { Knex } from 'knex';

/**
 * Sign-in with OpenID Connect providers: identities linked to a user (one row per provider
 * account, unique per provider + subject), accounts without a password (created by a provider
 * sign-in), and whether the account's email was verified by whoever vouched for it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.text('password_hash').nullable().alter();
    t.boolean('email_verified').notNullable().defaultTo(false);
  });
  await knex.schema.createTable('user_identities', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    /** The configured provider id (google, microsoft, or a generic OIDC_<NAME>). */
    t.text('provider').notNullable();
    /** The provider's stable key for the account: `sub`, or `tid:oid` for Microsoft. */
    t.text('subject').notNullable();
    /** The email the provider reported at link time, shown to the user; never used to match accounts. */
    t.text('email').nullable();
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true }).nullable();
    t.unique(['provider', 'subject']);
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('user_identities');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('email_verified');
  });
}
