import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import knexFactory from 'knex';

const run = promisify(execFile);

/** What a self-hoster has to fix before a backup or restore can run (clear message, no stack). */
export class BackupError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface PgTools {
  /** Folder with pg_dump / pg_restore (PG_BIN_DIR); unset: found on PATH. */
  binDir?: string | undefined;
}

function tool(name: 'pg_dump' | 'pg_restore', tools: PgTools): string {
  return tools.binDir ? path.join(tools.binDir, name) : name;
}

/** Major version of a client tool, from `pg_dump --version` ("pg_dump (PostgreSQL) 15.20 (Debian …)"). */
export async function clientMajor(name: 'pg_dump' | 'pg_restore', tools: PgTools = {}): Promise<number> {
  let stdout: string;
  try {
    ({ stdout } = await run(tool(name, tools), ['--version']));
  } catch {
    throw new BackupError(
      'pg_client_missing',
      `${name} was not found${tools.binDir ? ` in ${tools.binDir}` : ' on PATH'}: install the PostgreSQL client ` +
        `of your server's major version (Debian: apt-get install postgresql-client-<major>) or set PG_BIN_DIR`,
    );
  }
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
  if (!m) throw new BackupError('pg_client_unknown', `cannot read the version of ${name}: ${stdout.trim()}`);
  return Number(m[1]);
}

/** Major version of the server behind `url` (server_version_num 150020 → 15). */
export async function serverMajor(url: string): Promise<number> {
  const db = knexFactory({ client: 'pg', connection: { connectionString: url, application_name: 'parley-backup' } });
  try {
    const r = await db.raw('show server_version_num');
    return Math.floor(Number(r.rows[0].server_version_num) / 10000);
  } finally {
    await db.destroy();
  }
}

/**
 * pg_dump refuses a server newer than itself, and a newer pg_dump writes archives an older
 * pg_restore cannot read: insist on the server's major version, and say how to get it.
 */
export async function checkClientMatchesServer(url: string, name: 'pg_dump' | 'pg_restore', tools: PgTools = {}) {
  const [client, server] = await Promise.all([clientMajor(name, tools), serverMajor(url)]);
  if (client !== server)
    throw new BackupError(
      'pg_client_version_mismatch',
      `${name} is PostgreSQL ${client} but the server is ${server}: install postgresql-client-${server} and set ` +
        `PG_BIN_DIR=/usr/lib/postgresql/${server}/bin`,
    );
  return { client, server };
}

/**
 * The connection goes to pg_dump / pg_restore through libpq's environment variables, so the
 * password never appears on a command line (visible to every user in `ps`) or in a log.
 */
export function libpqEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'parley-backup' };
  for (const k of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGSSLMODE']) delete env[k];
  if (u.hostname) env.PGHOST = decodeURIComponent(u.hostname.replace(/^\[|\]$/g, ''));
  if (u.port) env.PGPORT = u.port;
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database) env.PGDATABASE = database;
  const host = u.searchParams.get('host');
  if (host) env.PGHOST = host;
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

/** One consistent snapshot (pg_dump runs in one repeatable-read transaction) in the custom format. */
export async function backupPostgres(url: string, file: string, tools: PgTools = {}): Promise<void> {
  await checkClientMatchesServer(url, 'pg_dump', tools);
  await run(
    tool('pg_dump', tools),
    ['--format=custom', '--compress=6', '--no-owner', '--no-privileges', `--file=${file}`],
    { env: libpqEnv(url), maxBuffer: 16 * 1024 * 1024 },
  ).catch((err: { stderr?: string }) => {
    throw new BackupError('pg_dump_failed', `pg_dump failed: ${(err.stderr ?? String(err)).trim()}`);
  });
}

/** Number of Parley tables already in the target (0 for a fresh database). */
export async function existingTables(url: string): Promise<number> {
  const db = knexFactory({ client: 'pg', connection: { connectionString: url, application_name: 'parley-backup' } });
  try {
    const r = await db.raw(`select count(*)::int as n from information_schema.tables where table_schema = 'public'`);
    return r.rows[0].n as number;
  } finally {
    await db.destroy();
  }
}

/**
 * Restores a custom-format archive in one transaction: everything, or nothing on the first error.
 * Into a database that already has tables only with `replace` (then they are dropped first).
 */
export async function restorePostgres(
  url: string,
  file: string,
  options: { replace?: boolean } & PgTools = {},
): Promise<void> {
  await checkClientMatchesServer(url, 'pg_restore', options);
  const tables = await existingTables(url);
  if (tables > 0 && !options.replace)
    throw new BackupError(
      'target_not_empty',
      `the target database already has ${tables} tables: restore into a new empty database, or pass --replace to drop them first`,
    );
  const env = libpqEnv(url);
  if (!env.PGDATABASE) throw new BackupError('no_database', 'DATABASE_URL names no database to restore into');
  // pg_restore writes SQL to stdout unless given a database; the name alone carries no secret.
  const args = [
    '--no-owner',
    '--no-privileges',
    '--single-transaction',
    '--exit-on-error',
    `--dbname=${env.PGDATABASE}`,
  ];
  if (tables > 0) args.unshift('--clean', '--if-exists');
  await run(tool('pg_restore', options), [...args, file], { env, maxBuffer: 16 * 1024 * 1024 }).catch(
    (err: { stderr?: string }) => {
      throw new BackupError('pg_restore_failed', `pg_restore failed: ${(err.stderr ?? String(err)).trim()}`);
    },
  );
}
