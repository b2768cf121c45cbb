import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '../..');
/** The repository's npm workspaces (package.json). */
export const WORKSPACES: string[] = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).workspaces;
/** The workspaces deploy/Dockerfile's image runs (scripts/build-prod.mjs compiles these). */
export const RUNTIME = ['protocol', 'db', 'tools', 'gateway', 'agent'];

/**
 * deploy/Dockerfile's "build" stage in `dir`, without Docker: the package files and the runtime
 * workspaces' sources copied, this checkout's dependencies linked in (the @parley links point at
 * the copy, so the compiler writes only there), then scripts/build-prod.mjs (TypeScript compiled
 * to JavaScript in place). Returns the build's duration in ms.
 */
export function stageProductionBuild(dir: string): number {
  for (const f of ['package.json', 'package-lock.json', '.npmrc']) cpSync(path.join(repo, f), path.join(dir, f));
  for (const ws of WORKSPACES) cpSync(path.join(repo, ws, 'package.json'), path.join(dir, ws, 'package.json'));
  for (const ws of RUNTIME) {
    cpSync(path.join(repo, ws, 'src'), path.join(dir, ws, 'src'), { recursive: true });
    // A workspace's own dependencies (e.g. the gateway's lru-cache, another major than the root's).
    if (existsSync(path.join(repo, ws, 'node_modules')))
      symlinkSync(path.join(repo, ws, 'node_modules'), path.join(dir, ws, 'node_modules'));
  }
  const nm = path.join(dir, 'node_modules');
  mkdirSync(path.join(nm, '@parley'), { recursive: true });
  for (const entry of readdirSync(path.join(repo, 'node_modules')))
    if (entry !== '@parley' && entry !== '.bin')
      symlinkSync(path.join(repo, 'node_modules', entry), path.join(nm, entry));
  for (const ws of WORKSPACES) {
    const name = JSON.parse(readFileSync(path.join(dir, ws, 'package.json'), 'utf8')).name as string;
    symlinkSync(path.join(dir, ws), path.join(nm, name));
  }
  const t = Date.now();
  execFileSync(process.execPath, [path.join(repo, 'scripts/build-prod.mjs'), dir], { stdio: 'pipe' });
  return Date.now() - t;
}
