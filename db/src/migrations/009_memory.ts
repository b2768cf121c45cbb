import type { Knex } from 'knex';

/**
 * The agent's memory of a caller: the opt-in preference, and one short summary per finished
 * conversation of a user who opted in. A summary goes with its conversation and its account, and
 * the user can delete it on its own (the conversation stays).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('user_preferences', (t) => {
    t.boolean('memory').notNullable().defaultTo(false);
  });
  await knex.schema.createTable('conversation_summaries', (t) => {
    t.uuid('conversation_id').primary().references('conversations.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('summary').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('conversation_summaries');
  await knex.schema.alterTable('user_preferences', (t) => {
    t.dropColumn('memory');
  });
}
