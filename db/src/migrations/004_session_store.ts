import type { Knex } from 'knex';

/**
 * The single-process session table takes the shape connect-session-knex reads and writes
 * (sid, sess, expired). The store owns its rows and their cleanup; this migration only names the
 * columns, so the store is created with createTable: false.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE sessions RENAME COLUMN expires_at TO expired');
  await knex.raw('ALTER INDEX sessions_expires_at_index RENAME TO sessions_expired_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER INDEX sessions_expired_index RENAME TO sessions_expires_at_index');
  await knex.raw('ALTER TABLE sessions RENAME COLUMN expired TO expires_at');
}
