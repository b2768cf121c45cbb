import type { Knex } from 'knex';

/**
 * Integrations: personal API tokens and outgoing webhooks.
 * - api_tokens: only the SHA-256 of a token is stored (the token is shown once); `hint` is its first
 *   characters for the list. Revoking deletes the row. Goes with the account.
 * - webhook_endpoints: a user's HTTPS receivers; the signing secret is kept (HMAC needs it).
 * - webhook_deliveries: the durable queue and delivery log, one row per (event, endpoint); its id
 *   is the event id the receiver de-duplicates by (`webhook-id`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('token_hash').notNullable().unique();
    t.text('hint').notNullable();
    t.jsonb('scopes').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).nullable();
    t.timestamp('last_used_at', { useTz: true }).nullable();
    t.index(['user_id']);
  });
  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('url').notNullable();
    t.text('secret').notNullable();
    t.jsonb('events').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('disabled_at', { useTz: true }).nullable();
    t.index(['user_id']);
  });
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.uuid('id').primary();
    /** No foreign key to users: account.deleted is delivered after the account is gone. */
    t.uuid('endpoint_id').nullable().references('webhook_endpoints.id').onDelete('SET NULL');
    t.uuid('user_id').notNullable();
    t.text('url').notNullable();
    t.text('secret').notNullable();
    t.text('event_type').notNullable();
    t.text('payload').notNullable();
    /** pending → delivered | failed (gave up). */
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('locked_until', { useTz: true }).nullable();
    t.integer('last_status').nullable();
    t.text('last_error').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('delivered_at', { useTz: true }).nullable();
    t.index(['status', 'next_attempt_at']);
    t.index(['user_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_deliveries');
  await knex.schema.dropTable('webhook_endpoints');
  await knex.schema.dropTable('api_tokens');
}
