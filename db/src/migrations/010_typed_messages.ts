import type { Knex } from 'knex';

/**
 * Typed messages in a call: a user turn the caller typed in the call's text box instead of saying
 * it is stored like any other turn, marked `typed` (shown as such in the transcript and history).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('utterances', (t) => {
    t.boolean('typed').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('utterances', (t) => {
    t.dropColumn('typed');
  });
}
