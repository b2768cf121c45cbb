import type { Knex } from 'knex';

/** Conversations and their utterances, with full-text search that also works on PGlite. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('conversations', (t) => {
    t.uuid('id').primary();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('room').notNullable().unique();
    t.text('title').nullable();
    t.text('language').notNullable().defaultTo('en');
    t.text('status').notNullable().defaultTo('created');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('started_at', { useTz: true }).nullable();
    t.timestamp('ended_at', { useTz: true }).nullable();
    t.integer('duration_ms').nullable();
    t.text('end_reason').nullable();
    t.integer('turn_count').notNullable().defaultTo(0);
    t.index(['user_id', 'created_at', 'id']);
  });
  await knex.raw(
    `ALTER TABLE conversations ADD CONSTRAINT conversations_status_check CHECK (status IN ('created', 'active', 'ended'))`,
  );

  await knex.schema.createTable('utterances', (t) => {
    t.bigIncrements('id');
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.integer('seq').notNullable();
    t.text('role').notNullable();
    t.text('text').notNullable();
    t.text('language').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('ended_at', { useTz: true }).notNullable();
    t.boolean('interrupted').notNullable().defaultTo(false);
    t.jsonb('metrics').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['conversation_id', 'seq']);
    t.index(['user_id']);
  });
  await knex.raw(`ALTER TABLE utterances ADD CONSTRAINT utterances_role_check CHECK (role IN ('user', 'agent'))`);
  // 'simple' configuration: callers speak many languages, so no language-specific stemming.
  await knex.raw(
    `ALTER TABLE utterances ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED`,
  );
  await knex.raw('CREATE INDEX utterances_tsv_idx ON utterances USING GIN (tsv)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('utterances');
  await knex.schema.dropTable('conversations');
}
