import { afterAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  createRepositories,
  isUniqueViolation,
  migrateLatest,
  migrateRollbackAll,
  type Database,
} from './index';
import { createTestDatabase } from '@parley/testkit/db';

async function exerciseSchema(db: Database) {
  const [user] = await db('users')
    .insert({ email: 'Ada@Example.com', password_hash: 'x', display_name: 'Ada' })
    .returning(['id']);
  const dup = await db('users')
    .insert({ email: 'ada@example.com', password_hash: 'y', display_name: 'Ada 2' })
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(isUniqueViolation(dup)).toBe(true);
  const id = '00000000-0000-4000-8000-000000000001';
  await db('conversations').insert({ id, user_id: user.id, room: 'r1' });
  await db('utterances').insert([
    {
      conversation_id: id,
      user_id: user.id,
      seq: 0,
      role: 'user',
      text: 'hello there',
      language: 'en',
      started_at: new Date(),
      ended_at: new Date(),
    },
    {
      conversation_id: id,
      user_id: user.id,
      seq: 1,
      role: 'agent',
      text: 'talk about tidal energy now',
      language: 'en',
      started_at: new Date(),
      ended_at: new Date(),
    },
  ]);
  const hits = await db('utterances')
    .select('seq', db.raw(`ts_headline('simple', text, websearch_to_tsquery('simple', ?)) as hl`, ['tidal']))
    .whereRaw(`tsv @@ websearch_to_tsquery('simple', ?)`, ['tidal']);
  expect(hits).toEqual([{ seq: 1, hl: 'talk about <b>tidal</b> energy now' }]);

  // An ended conversation's every turn is kept as one document (migration 017) and read back from it.
  await db('conversations').where({ id }).update({ status: 'ended', ended_at: new Date(), turn_count: 2 });
  const { utterances } = createRepositories(db);
  const turns = await utterances.list(id);
  expect(turns.map((u) => u.text)).toEqual(['hello there', 'talk about tidal energy now']);
  expect(await db('conversation_transcripts').where({ conversation_id: id }).select('turns')).toEqual([{ turns: 2 }]);
  // Served from it: a marked document with the same turn count is what comes back.
  await db('conversation_transcripts')
    .where({ conversation_id: id })
    .update({ doc: JSON.stringify(turns.map((u) => ({ ...u, text: `${u.text} (document)` }))) });
  expect((await utterances.list(id)).map((u) => u.text)).toEqual([
    'hello there (document)',
    'talk about tidal energy now (document)',
  ]);
}

describe('database schema', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('migrates, enforces case-insensitive unique email and searches text on real Postgres', async () => {
    const t = await createTestDatabase();
    cleanups.push(t.drop);
    await exerciseSchema(t.db);
    // Rolling back and forward again on a database that holds data works.
    await migrateRollbackAll(t.db);
    expect(await migrateLatest(t.db)).toEqual([
      '001_accounts',
      '002_conversations',
      '003_identities',
      '004_session_store',
      '005_shares',
      '009_memory',
      '006_account_security',
      '008_api_tokens',
      '011_webhooks',
      '010_typed_messages',
      '007_usage',
      '012_passkeys',
      '013_admin_console',
      '014_audit_pseudonyms',
      '015_daily_quota',
      '016_history_terms',
      '017_transcript_documents',
    ]);
  });

  it('runs the same migrations and search on embedded PGlite', async () => {
    const db = createDatabase({});
    cleanups.push(() => db.destroy());
    expect(await migrateLatest(db)).toEqual([
      '001_accounts',
      '002_conversations',
      '003_identities',
      '004_session_store',
      '005_shares',
      '009_memory',
      '006_account_security',
      '008_api_tokens',
      '011_webhooks',
      '010_typed_messages',
      '007_usage',
      '012_passkeys',
      '013_admin_console',
      '014_audit_pseudonyms',
      '015_daily_quota',
      '016_history_terms',
      '017_transcript_documents',
    ]);
    await exerciseSchema(db);
  });
});
