import type { Knex } from 'knex';

/**
 * Admin console (issue 22): an account can be disabled (no sign-in, no session, no API token until
 * enabled again); an audit event can name the account it acted on besides the actor (admin
 * actions). The target is a plain id, not a foreign key: the event outlives a deleted target,
 * which it then names only pseudonymously.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.timestamp('disabled_at', { useTz: true }).nullable();
  });
  await knex.schema.alterTable('audit_events', (t) => {
    t.uuid('target_user_id').nullable();
    t.index(['target_user_id', 'created_at']);
    t.index(['type', 'created_at']);
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['created_at']);
    t.dropIndex(['type', 'created_at']);
    t.dropIndex(['target_user_id', 'created_at']);
    t.dropColumn('target_user_id');
  });
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('disabled_at');
  });
}
