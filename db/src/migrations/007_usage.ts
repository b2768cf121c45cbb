import type { Knex } from 'knex';

/**
 * Provider usage and its estimated cost per call (issue 22): one row per conversation, reporting
 * agent job, stage, provider and model, holding the job's running totals and their cost priced
 * when stored (a later price change does not rewrite past calls; null: no price known). Rows go
 * with their conversation and account. Per-account limits: a monthly minutes quota and a maximum
 * call length that override the configured defaults (null: the default).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('call_usage', (t) => {
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('report_id').notNullable();
    t.text('stage').notNullable();
    t.text('provider').notNullable();
    t.text('model').notNullable();
    t.bigInteger('stt_audio_ms').notNullable().defaultTo(0);
    t.bigInteger('llm_prompt_tokens').notNullable().defaultTo(0);
    t.bigInteger('llm_cached_prompt_tokens').notNullable().defaultTo(0);
    t.bigInteger('llm_completion_tokens').notNullable().defaultTo(0);
    t.bigInteger('tts_characters').notNullable().defaultTo(0);
    t.double('cost_usd').nullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['conversation_id', 'report_id', 'stage', 'provider', 'model']);
    t.index(['user_id']);
  });
  await knex.raw(`ALTER TABLE call_usage ADD CONSTRAINT call_usage_stage_check CHECK (stage IN ('stt', 'llm', 'tts'))`);
  await knex.schema.alterTable('users', (t) => {
    t.double('quota_minutes_per_month').nullable();
    t.integer('max_call_seconds').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('quota_minutes_per_month');
    t.dropColumn('max_call_seconds');
  });
  await knex.schema.dropTable('call_usage');
}
