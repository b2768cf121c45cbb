import { randomBytes } from 'node:crypto';
import { createDatabase, migrateLatest, type Database } from '@parley/db';

/** The machine's shared Postgres server; tests create a database of their own on it. */
export const TEST_PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  name: string;
  db: Database;
  drop(): Promise<void>;
}

/** A fresh, migrated database on the real Postgres server, dropped by `drop()`. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `parley_t_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = createDatabase({ url: TEST_PG_ADMIN_URL, poolMax: 1 });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = createDatabase({ url: url.toString(), poolMax: 5 });
  if (options.migrate !== false) await migrateLatest(db);
  return {
    url: url.toString(),
    name,
    db,
    async drop() {
      await db.destroy();
      const a = createDatabase({ url: TEST_PG_ADMIN_URL, poolMax: 1 });
      await a.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.destroy();
    },
  };
}
