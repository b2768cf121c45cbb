import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from './lock';
import { BackupError } from './postgres';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);

/**
 * Embedded (PGlite) backups: the whole data folder as one gzipped tarball from PGlite's own
 * dumpDataDir, taken while this process alone holds the folder (the gateway must be stopped: PGlite
 * is one process per folder, and the lock says who holds it). A CHECKPOINT first, so the tarball's
 * data files are current and not only its WAL. Compressed with node's zlib (native; PGlite's own
 * 'gzip' option compresses in JavaScript, several times slower).
 */
export async function backupEmbedded(dataDir: string, file: string): Promise<void> {
  if (!existsSync(dataDir)) throw new BackupError('no_database', `no embedded database in ${dataDir}`);
  const release = lockDataDir(dataDir, 'npm run backup');
  try {
    const pg = await PGlite.create({ dataDir });
    try {
      await pg.exec('CHECKPOINT');
      const tar = await pg.dumpDataDir('none');
      await writeFile(file, await gzip(Buffer.from(await tar.arrayBuffer())));
    } finally {
      await pg.close();
    }
  } finally {
    release();
  }
}

/** Restores a tarball from backupEmbedded into a data folder that does not exist yet or is empty. */
export async function restoreEmbedded(dataDir: string, file: string): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0)
    throw new BackupError(
      'target_not_empty',
      `${dataDir} already holds a database: move it aside (keep it until the restore is checked) and run the restore again`,
    );
  const release = lockDataDir(dataDir, 'npm run restore');
  try {
    const loadDataDir = new Blob([await gunzip(await readFile(file))]);
    const pg = await PGlite.create({ dataDir, loadDataDir });
    try {
      await pg.query('select count(*) from knex_migrations');
    } finally {
      await pg.close();
    }
  } finally {
    release();
  }
}
