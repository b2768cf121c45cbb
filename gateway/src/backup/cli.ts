/**
 * `npm run backup` and `npm run restore`: one consistent copy of Parley's database, for either kind.
 * - Postgres (DATABASE_URL set): pg_dump's custom format, restored by pg_restore in one transaction.
 * - Embedded (DATA_DIR): PGlite's data folder as a gzipped tarball; the gateway must be stopped.
 * Reads the same DATABASE_URL / DATA_DIR as the gateway, and nothing else of its configuration.
 */
import { readdirSync, statSync, unlinkSync, mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  backupEmbedded,
  BackupError,
  backupPostgres,
  DataDirInUseError,
  restoreEmbedded,
  restorePostgres,
} from '@parley/db';

const Env = z.object({
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('.data'),
  /** Where backups go; default DATA_DIR/backups. */
  BACKUP_DIR: z.string().optional(),
  /** How many backups of this kind to keep in BACKUP_DIR (oldest removed after a backup). */
  BACKUP_KEEP: z.coerce.number().int().min(1).default(14),
  /** Folder of pg_dump / pg_restore matching the server's major version; default: PATH. */
  PG_BIN_DIR: z.string().optional(),
});

type Kind = 'postgres' | 'embedded';
const EXT: Record<Kind, string> = { postgres: '.dump', embedded: '.tar.gz' };

function stamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

/** Which kind of backup a file holds, from its first bytes (custom dump "PGDMP", gzip 1f 8b). */
async function kindOf(file: string): Promise<Kind> {
  const fh = await open(file, 'r').catch(() => {
    throw new BackupError('no_such_file', `cannot read ${file}`);
  });
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(5), 0, 5, 0);
    if (bytesRead === 5 && buffer.toString('latin1') === 'PGDMP') return 'postgres';
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'embedded';
  } finally {
    await fh.close();
  }
  throw new BackupError(
    'not_a_backup',
    `${file} is not a Parley backup (neither a pg_dump archive nor a PGlite tarball)`,
  );
}

/** Keeps the newest `keep` backups of one kind in `dir`; returns the files removed. */
export function pruneBackups(dir: string, kind: Kind, keep: number): string[] {
  const mine = readdirSync(dir)
    .filter((f) => f.startsWith(`parley-${kind}-`) && f.endsWith(EXT[kind]))
    .sort(); // names carry a UTC timestamp: lexical order is time order
  const removed = mine.slice(0, Math.max(0, mine.length - keep));
  for (const f of removed) unlinkSync(path.join(dir, f));
  return removed;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  const e = Env.parse(env);
  const kind: Kind = e.DATABASE_URL ? 'postgres' : 'embedded';
  const dataDir = path.resolve(e.DATA_DIR, 'pg');
  const tools = { binDir: e.PG_BIN_DIR };
  const started = performance.now();
  if (command === 'backup') {
    const { values } = parseArgs({ args: rest, options: { out: { type: 'string' } } });
    const dir = path.resolve(e.BACKUP_DIR ?? path.join(e.DATA_DIR, 'backups'));
    const file = values.out ? path.resolve(values.out) : path.join(dir, `parley-${kind}-${stamp()}${EXT[kind]}`);
    mkdirSync(path.dirname(file), { recursive: true });
    if (kind === 'postgres') await backupPostgres(e.DATABASE_URL!, file, tools);
    else await backupEmbedded(dataDir, file);
    const removed = values.out ? [] : pruneBackups(dir, kind, e.BACKUP_KEEP);
    const ms = Math.round(performance.now() - started);
    console.log(`backup written: ${file} (${kind}, ${statSync(file).size} bytes, ${ms} ms)`);
    if (removed.length) console.log(`removed ${removed.length} older backup(s), keeping ${e.BACKUP_KEEP}`);
    return 0;
  }
  if (command === 'restore') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { replace: { type: 'boolean', default: false } },
    });
    const file = positionals[0];
    if (!file) throw new BackupError('usage', 'usage: npm run restore -- <backup file> [--replace]');
    const fileKind = await kindOf(path.resolve(file));
    if (fileKind !== kind)
      throw new BackupError(
        'wrong_kind',
        `${file} is a ${fileKind} backup but this configuration uses the ${kind} database` +
          (kind === 'postgres' ? ' (DATABASE_URL is set)' : ' (DATABASE_URL is unset)'),
      );
    if (kind === 'postgres')
      await restorePostgres(e.DATABASE_URL!, path.resolve(file), { ...tools, replace: values.replace });
    else await restoreEmbedded(dataDir, path.resolve(file));
    const ms = Math.round(performance.now() - started);
    console.log(`restored ${file} into the ${kind} database (${ms} ms)`);
    return 0;
  }
  throw new BackupError('usage', 'usage: npm run backup [-- --out FILE] | npm run restore -- <file> [--replace]');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof BackupError || err instanceof DataDirInUseError) {
        console.error(`${err.message}`);
        process.exit(1);
      }
      console.error(err);
      process.exit(1);
    },
  );
}
