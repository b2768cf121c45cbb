import { readFileSync } from 'node:fs';
import pidtree from 'pidtree';

/**
 * PIDs of every live descendant of `pid` (pidtree reads `ps -A -o ppid,pid`; Debian's procps), so
 * the agent worker can reap job processes at shutdown and tests can prove nothing is left behind.
 */
export async function descendantPids(pid: number): Promise<number[]> {
  try {
    return await pidtree(pid);
  } catch {
    return []; // no such process (it exited), or ps is missing: nothing we can signal
  }
}

/** True for a running process; false once it exited or is a zombie (kill(0) alone says true for those). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Signals every descendant of `pid` (deepest first). Returns the PIDs signalled. */
export async function signalDescendants(pid: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number[]> {
  const pids = (await descendantPids(pid)).reverse();
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      /* already gone */
    }
  }
  return pids;
}
