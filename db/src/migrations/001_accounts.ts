import type { Knex } from 'knex';

/** Accounts, preferences, audit trail and the session table used when Redis is not configured. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('email').notNullable();
    t.text('password_hash').notNullable();
    t.text('display_name').notNullable();
    t.text('role').notNullable().defaultTo('user');
    // Bumped on password change / "log out everywhere": sessions carrying an older epoch are void.
    t.integer('session_epoch').notNullable().defaultTo(0);
    t.integer('retention_days').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('user', 'admin'))`);
  await knex.raw('CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))');

  await knex.schema.createTable('user_preferences', (t) => {
    t.uuid('user_id').primary().references('users.id').onDelete('CASCADE');
    t.text('tts_voice').nullable();
    t.text('language').notNullable().defaultTo('en');
    t.jsonb('favorite_topics').notNullable().defaultTo('[]');
    t.text('system_prompt').notNullable().defaultTo('');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    t.uuid('user_id').nullable().references('users.id').onDelete('CASCADE');
    t.text('type').notNullable();
    t.text('ip').nullable();
    t.jsonb('details').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'created_at']);
  });

  await knex.schema.createTable('sessions', (t) => {
    t.text('sid').primary();
    t.jsonb('sess').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sessions');
  await knex.schema.dropTable('audit_events');
  await knex.schema.dropTable('user_preferences');
  await knex.schema.dropTable('users');
}
