// Installs node_modules from the lockfile when missing or when the lockfile or a patch in patches/
// (applied by npm ci's postinstall) changed since.
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const STAMP = 'node_modules/.parley-lock-hash';
const NPM_CI = ['ci', '--no-audit', '--no-fund', '--loglevel=error'];
const lockHash = () => {
  const hash = createHash('sha256').update(readFileSync('package-lock.json'));
  const patches = existsSync('patches')
    ? readdirSync('patches')
        .filter((f) => f.endsWith('.patch'))
        .sort()
    : [];
  for (const f of patches) hash.update(`\0${f}\0`).update(readFileSync(`patches/${f}`));
  return hash.digest('hex');
};

/** True when node_modules matches the lockfile and patches (npm ci already ran for them). */
export function nodeDepsCurrent() {
  return existsSync(STAMP) && readFileSync(STAMP, 'utf8') === lockHash();
}

export function ensureNodeDeps() {
  if (nodeDepsCurrent()) return;
  console.log('Installing npm dependencies (npm ci)…');
  execFileSync('npm', NPM_CI, { stdio: 'inherit' });
  writeFileSync(STAMP, lockHash());
}

/** The same, without blocking: `npm start` prints a heartbeat line while it runs. */
export async function ensureNodeDepsAsync() {
  if (nodeDepsCurrent()) return;
  const code = await new Promise((resolve) =>
    spawn('npm', NPM_CI, { stdio: 'inherit' })
      .once('error', () => resolve(127))
      .once('exit', (c) => resolve(c ?? 1)),
  );
  if (code !== 0) throw new Error(`npm ci failed (exit ${code})`);
  writeFileSync(STAMP, lockHash());
}

if (import.meta.url === `file://${process.argv[1]}`) ensureNodeDeps();
