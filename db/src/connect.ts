import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { migrationSource } from './migrations/index';

export type Database = Knex;

export interface DatabaseOptions {
  /** postgres://… for a real server. Unset: embedded PGlite. */
  url?: string | undefined;
  /** Folder for embedded data. Unset with no url: in-memory (tests). */
  dataDir?: string | undefined;
  poolMax?: number;
}

export function isEmbedded(options: DatabaseOptions): boolean {
  return !options.url;
}

/**
 * knex-pglite names a `.del()` query's command "DEL", so knex's Postgres result handling (which
 * returns the row count for "DELETE") hands back the raw result object and `await q.del() > 0` is
 * always false on PGlite. Passing the method as "delete" gives the command tag Postgres uses.
 */
class PgLiteClient extends (ClientPgLite as unknown as { new (config: Knex.Config): object }) {
  processResponse(obj: { method?: string }, runner: unknown): unknown {
    const fixed = obj.method === 'del' ? { ...obj, method: 'delete' } : obj;
    return (
      ClientPgLite.prototype as unknown as {
        processResponse: (this: unknown, obj: unknown, runner: unknown) => unknown;
      }
    ).processResponse.call(this, fixed, runner);
  }
}

/** One Knex instance for either a Postgres server or embedded PGlite; same migrations for both. */
export function createDatabase(options: DatabaseOptions): Database {
  if (options.url) {
    return knexFactory({
      client: 'pg',
      connection: { connectionString: options.url, application_name: 'parley' },
      pool: { min: 0, max: options.poolMax ?? 10, acquireTimeoutMillis: 10_000 },
      acquireConnectionTimeout: 10_000,
    });
  }
  return knexFactory({
    client: PgLiteClient as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: options.dataDir ? { filename: options.dataDir } : {},
  } as Knex.Config);
}

export async function migrateLatest(db: Database): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

export async function migrateRollbackAll(db: Database): Promise<void> {
  await db.migrate.rollback({ migrationSource }, true);
}

/** Cheap liveness probe used by /readyz. */
export async function pingDatabase(db: Database, timeoutMs = 2000): Promise<void> {
  await Promise.race([
    db.raw('select 1'),
    new Promise((_, reject) => setTimeout(() => reject(new Error('database ping timed out')), timeoutMs).unref()),
  ]);
}

/** Postgres unique_violation, detected by code, never by message text. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}
