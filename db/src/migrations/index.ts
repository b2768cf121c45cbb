import type { Knex } from 'knex';
import * as m001 from './001_accounts';
import * as m002 from './002_conversations';
import * as m003 from './003_identities';
import * as m004 from './004_session_store';
import * as m005 from './005_shares';
import * as m009 from './009_memory';
import * as m006 from './006_account_security';
import * as m008 from './008_api_tokens';
import * as m011 from './011_webhooks';
import * as m010 from './010_typed_messages';
import * as m007 from './007_usage';
import * as m012 from './012_passkeys';
import * as m013 from './013_admin_console';
import * as m014 from './014_audit_pseudonyms';
import * as m015 from './015_daily_quota';
import * as m016 from './016_history_terms';
import * as m017 from './017_transcript_documents';

type Migration = { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> };

/**
 * Migrations are compiled in (no file loader), so the same list runs under tsx, in tests, on
 * PGlite and on Postgres. Append only: never edit or reorder a migration once merged.
 */
const MIGRATIONS: ReadonlyArray<[string, Migration]> = [
  ['001_accounts', m001],
  ['002_conversations', m002],
  ['003_identities', m003],
  ['004_session_store', m004],
  ['005_shares', m005],
  ['009_memory', m009],
  ['006_account_security', m006],
  ['008_api_tokens', m008],
  ['011_webhooks', m011],
  ['010_typed_messages', m010],
  ['007_usage', m007],
  ['012_passkeys', m012],
  ['013_admin_console', m013],
  ['014_audit_pseudonyms', m014],
  ['015_daily_quota', m015],
  ['016_history_terms', m016],
  ['017_transcript_documents', m017],
];

export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
