import type { Knex } from 'knex';

/**
 * Read-only share links to one conversation. Only the SHA-256 of the link's token is stored (the
 * token itself is shown once, in the link); a link ends at its expiry or when its owner revokes it,
 * and goes with the conversation or the account.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('conversation_shares', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    /** Hex SHA-256 of the token. */
    t.text('token_hash').notNullable().unique();
    t.boolean('include_latency').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true }).nullable();
    t.index(['user_id']);
    t.index(['conversation_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('conversation_shares');
}
