import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@parley/tools';

/** One series of an instant query's answer. */
export interface PromSeries {
  metric: Record<string, string>;
  value: number;
}

export interface RunningPrometheus {
  url: string;
  /** Files Prometheus reads (the config may point at `dir/<file>` for credentials). */
  dir: string;
  /** Instant query through the HTTP API (GET /api/v1/query). */
  query(promql: string): Promise<PromSeries[]>;
  /** Scrape targets and their health (GET /api/v1/targets). */
  targets(): Promise<Array<{ job: string; health: string; lastError: string }>>;
  output: string[];
  stop(): Promise<void>;
}

/**
 * A real Prometheus server (Debian's `prometheus`, installed by scripts/ensure-system-deps.sh) on a
 * free loopback port with its own temporary storage. `config(dir)` returns prometheus.yml's text.
 */
export async function startPrometheus(config: (dir: string) => string): Promise<RunningPrometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-prometheus-'));
  writeFileSync(path.join(dir, 'prometheus.yml'), config(dir));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (b: Buffer) => {
    output.push(b.toString());
    if (output.length > 500) output.splice(0, 250);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${output.join('').slice(-2000)}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready in 30 s: ${output.join('').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const api = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${url}${p}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${p}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    dir,
    output,
    stop,
    async query(promql) {
      const data = await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
        `/api/v1/query?query=${encodeURIComponent(promql)}`,
      );
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const data = await api<{
        activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }>;
      }>('/api/v1/targets');
      return data.activeTargets.map((t) => ({ job: t.labels.job ?? '', health: t.health, lastError: t.lastError }));
    },
  };
}
