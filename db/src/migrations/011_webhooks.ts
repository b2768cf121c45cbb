import type { Knex } from 'knex';

/**
 * Outgoing webhooks.
 * - webhook_endpoints: HTTPS receivers registered by a user (user_id) or by an admin for the whole
 *   instance (user_id null). The signing secret is kept sealed (HMAC needs it, so it cannot be
 *   hashed). `failing_since` is the first failure of the current run of failures; an endpoint
 *   failing for too long gets `disabled_at` and a notice.
 * - webhook_deliveries: the durable queue and the delivery log, one row per (event, endpoint).
 *   `event_id` is the `webhook-id` header, the same on every attempt and for every endpoint, so a
 *   receiver de-duplicates by it. A row carries its own URL and sealed secret: account.deleted is
 *   delivered after the account and its endpoints are gone (endpoint_id then becomes null).
 *   `subject_user_id` / `conversation_id` say whose data the payload holds, so deleting an account
 *   or a conversation can drop the undelivered copies.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').nullable().references('users.id').onDelete('CASCADE');
    t.text('url').notNullable();
    t.text('secret_sealed').notNullable();
    t.jsonb('events').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('failing_since', { useTz: true }).nullable();
    t.timestamp('disabled_at', { useTz: true }).nullable();
    t.index(['user_id']);
  });
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('event_id').notNullable();
    t.text('event_type').notNullable();
    t.uuid('endpoint_id').nullable().references('webhook_endpoints.id').onDelete('SET NULL');
    t.uuid('subject_user_id').nullable();
    t.uuid('conversation_id').nullable();
    t.text('url').notNullable();
    t.text('secret_sealed').notNullable();
    /** The signed body; cleared once the delivery is finished (delivered or given up). */
    t.text('payload').nullable();
    /** pending → delivered | failed (gave up, or the endpoint was disabled or deleted). */
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    /** A sender's lease: another sender (or the same gateway after a crash) takes the row after it. */
    t.timestamp('locked_until', { useTz: true }).nullable();
    t.integer('last_status').nullable();
    t.text('last_error').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true }).nullable();
    t.unique(['event_id', 'endpoint_id']);
    t.index(['status', 'next_attempt_at']);
    t.index(['endpoint_id', 'created_at']);
    t.index(['subject_user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_deliveries');
  await knex.schema.dropTable('webhook_endpoints');
}
