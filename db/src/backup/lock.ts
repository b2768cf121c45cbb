import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The embedded data folder is open in another process (PGlite allows one process per folder). */
export class DataDirInUseError extends Error {
  readonly code = 'data_dir_in_use';
  constructor(
    readonly dataDir: string,
    readonly holder: { pid: number; owner: string },
  ) {
    super(`${dataDir} is in use by ${holder.owner} (pid ${holder.pid}); stop it first`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the embedded data folder for this process: `<dataDir>.lock` holds the owner's pid. PGlite
 * has no lock of its own, and two processes writing one folder corrupt it; a lock left by a process
 * that died (SIGKILL) is taken over. Hand-written: a pid file is all it needs.
 * Returns the release function.
 */
export function lockDataDir(dataDir: string, owner: string): () => void {
  const file = `${path.resolve(dataDir)}.lock`;
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, owner }));
      closeSync(fd);
      return () => {
        try {
          const held = JSON.parse(readFileSync(file, 'utf8')) as { pid: number };
          if (held.pid === process.pid) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid: number; owner: string } | null = null;
      try {
        holder = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; owner: string };
      } catch {
        holder = null; // half-written or unreadable: treat as stale
      }
      if (holder && alive(holder.pid)) throw new DataDirInUseError(dataDir, holder);
      unlinkSync(file);
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}
