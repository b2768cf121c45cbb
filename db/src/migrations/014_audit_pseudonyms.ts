import type { Knex } from 'knex';

/**
 * Audit events outlive the account they concern (issue 22). Deleting a user no longer cascades to
 * its audit rows: the account's deletion replaces its id in them by a stable pseudonym
 * (`deleted-user-<12 hex>`, AuditRepository.pseudonymise) and the foreign key only sets a forgotten
 * id to null. How long events are kept at all is the gateway's AUDIT_RETENTION_DAYS purge.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropForeign(['user_id']);
  });
  await knex.schema.alterTable('audit_events', (t) => {
    t.foreign('user_id').references('users.id').onDelete('SET NULL');
    t.text('actor_pseudonym').nullable();
    t.text('target_pseudonym').nullable();
    t.index(['actor_pseudonym']);
    t.index(['target_pseudonym']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['target_pseudonym']);
    t.dropIndex(['actor_pseudonym']);
    t.dropColumn('target_pseudonym');
    t.dropColumn('actor_pseudonym');
    t.dropForeign(['user_id']);
  });
  await knex.schema.alterTable('audit_events', (t) => {
    t.foreign('user_id').references('users.id').onDelete('CASCADE');
  });
}
