import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** CPU time (user + system) a process has used so far, in ms; null once it is gone. */
export function cpuTimeMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Resident set size in MB; null once the process is gone. */
export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Measures a process's CPU use between two points: `stop()` returns the share of one core (1 = 100 %). */
export function cpuMeter(pid: number) {
  const t0 = performance.now();
  const c0 = cpuTimeMs(pid) ?? 0;
  return {
    stop() {
      const ms = (cpuTimeMs(pid) ?? c0) - c0;
      return { cpuMs: ms, cores: ms / (performance.now() - t0) };
    },
  };
}

export interface ChildServer {
  url: string;
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Forks a server script that reports `{ ready: url }` over IPC: TypeScript through tsx, JavaScript
 * (a production build, bench/lib/prod-build.ts) with plain `node`.
 * `execArgv` adds Node flags (e.g. --cpu-prof). Stdout is discarded (the gateway logs there).
 */
export async function forkServer(
  script: string,
  env: Record<string, string | undefined>,
  execArgv: string[] = [],
  timeoutMs = 30_000,
): Promise<ChildServer> {
  const child = fork(script, [], {
    execArgv: [...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), ...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once(
      'message',
      (m: { ready?: string }) => (clearTimeout(timer), m.ready ? resolve(m.ready) : reject(new Error(String(m)))),
    );
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${script} exited with ${code}`))));
  });
  return {
    url,
    pid: child.pid!,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Asks a child running answerProfileRequests() to start profiling; resolves once it has. */
export function startProfile(child: ChildServer): Promise<void> {
  return new Promise((resolve) => {
    const on = (m: { profiling?: boolean }) => m.profiling && (child.process.off('message', on), resolve());
    child.process.on('message', on);
    child.process.send({ profile: 'start' });
  });
}

/** Stops the child's profile and waits until it wrote `file`. */
export function stopProfile(child: ChildServer, file: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (m: { profiled?: string }) => m.profiled === file && (child.process.off('message', on), resolve());
    child.process.on('message', on);
    child.process.send({ profile: 'stop', file });
  });
}
