import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/**
 * Runs a benchmark script owned by someone else (bench/history.ts, bench/load.ts) as its own
 * process, output passed through, killed after timeoutMs. False when the script is not there.
 */
export async function runScript(rel: string, args: string[], timeoutMs: number): Promise<boolean> {
  const file = path.join(repoRoot, rel);
  if (!existsSync(file)) {
    console.log(`${rel} is not in the tree yet: skipped`);
    return false;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: repoRoot, stdio: 'inherit' });
  const timer = setTimeout(() => {
    console.error(`${rel} passed ${timeoutMs / 1000} s: stopping it`);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${rel} exited with ${code}`);
  return true;
}
