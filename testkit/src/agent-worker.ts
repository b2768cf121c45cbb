import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { AgentJobs, type AgentJob } from '@parley/protocol';
import { freePort } from '@parley/tools';
import { bundledEntry } from './bundled';

const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface AgentWorkerProcess {
  process: ChildProcess;
  healthPort: number;
  healthUrl: string;
  /** GET /metrics of the worker's metrics port (AGENT_METRICS_PORT). */
  metricsUrl: string;
  output: string[];
  /** The jobs the worker runs now (GET /jobs of its metrics port); throws when it does not answer. */
  jobs(): Promise<AgentJob[]>;
  /** Resolves when GET /worker reports the worker connected to LiveKit. */
  waitUntilRegistered(timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs the real agent worker (agent/src/main.ts, bundled: ./bundled.ts) as its own process;
 * `logFile`, if given, gets all its output (appended: a restarted worker continues the same file).
 */
export async function spawnAgentWorker(
  env: Record<string, string | undefined>,
  { logFile }: { logFile?: string } = {},
): Promise<AgentWorkerProcess> {
  const healthPort = await freePort();
  const metricsPort = env.AGENT_METRICS_PORT ?? String(await freePort());
  const child = spawn(process.execPath, [await bundledEntry('agent/src/main.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      AGENT_HEALTH_PORT: String(healthPort),
      AGENT_IDLE_PROCESSES: '1',
      ...env,
      AGENT_METRICS_PORT: metricsPort,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (b: Buffer) => {
    output.push(b.toString());
    if (output.length > 2000) output.splice(0, 1000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  if (logFile) {
    const file = createWriteStream(logFile, { flags: 'a' });
    child.stdout!.pipe(file, { end: false });
    child.stderr!.pipe(file, { end: false });
    // Ended once both pipes have closed, not at the worker's exit: job processes it leaves behind
    // (SIGKILLed, their parent gone) hold the pipes and may still write ("write after end" before).
    let open = 2;
    const closed = () => --open === 0 && file.end();
    child.stdout!.once('close', closed);
    child.stderr!.once('close', closed);
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const healthUrl = `http://127.0.0.1:${healthPort}`;
  return {
    process: child,
    healthPort,
    healthUrl,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    output,
    async jobs() {
      const token = env.METRICS_TOKEN ?? process.env.METRICS_TOKEN;
      const res = await fetch(`http://127.0.0.1:${metricsPort}/jobs`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`agent worker GET /jobs answered ${res.status}`);
      return AgentJobs.parse(await res.json()).jobs;
    },
    async waitUntilRegistered(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`agent worker exited early:\n${output.join('').slice(-3000)}`);
        const ok = await fetch(healthUrl, { signal: AbortSignal.timeout(500) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`agent worker did not register within ${timeoutMs} ms:\n${output.join('').slice(-3000)}`);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
