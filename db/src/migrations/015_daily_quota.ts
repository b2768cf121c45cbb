import type { Knex } from 'knex';

/**
 * The per-account minutes quota is daily (issue 22: "per-user daily minutes"), not monthly. A
 * monthly figure means nothing as a daily one, so the column is replaced rather than renamed: an
 * account's own monthly quota goes back to the configured default (QUOTA_MINUTES_PER_DAY), and an
 * admin sets a daily one again where needed. The maximum call length (max_call_seconds) stays.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.double('quota_minutes_per_day').nullable();
  });
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('quota_minutes_per_month');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.double('quota_minutes_per_month').nullable();
  });
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('quota_minutes_per_day');
  });
}
