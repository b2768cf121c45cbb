// `npm run bench -- cluster [--calls=20] [--faults=a,b]`: the cluster's faults during many
// concurrent calls (e2e/cluster/under-load.ts), figures written to bench/results/cluster.json and
// into docs/scaling.md's benchmark section. Needs the heavy lock like every benchmark.
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { dispose } from '@livekit/rtc-node';
import { CLUSTER_FAULTS, clusterUnderLoad, type ClusterFault, type ClusterLoadRun } from './under-load';

const root = path.resolve(import.meta.dirname, '../..');
const arg = (k: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1];
const calls = Number(arg('calls') ?? 20);
const faults = (arg('faults')?.split(',') ?? CLUSTER_FAULTS) as ClusterFault[];

const started = Date.now();
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const loadStart = load();
const progress: Partial<ClusterLoadRun> = {};
let run: Partial<ClusterLoadRun> | null = null;
let error: string | null = null;
try {
  const out = await clusterUnderLoad({ calls, faults, log: (s) => console.log(s), logDir: arg('logs'), progress });
  run = out.run;
  await out.hangUpAll();
  await out.cluster.stop();
} catch (err) {
  error = (err as Error).message.slice(0, 500);
  console.log(`cluster under load failed: ${error}`);
  // What it measured before it stopped (the split, the faults done).
  if (progress.split) run = progress;
}
await dispose();
const result = {
  benchmark: 'cluster',
  date: new Date(started).toISOString(),
  durationSeconds: Math.round((Date.now() - started) / 1000),
  settings: { calls, faults },
  machine: { cores: os.cpus().length, node: process.version, loadAverage: { start: loadStart, end: load() } },
  error,
  data: run,
};
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, `bench/results/cluster-${calls}.json`), `${JSON.stringify(result, null, 2)}\n`);
spawnSync(process.execPath, ['--import', 'tsx', 'scripts/reliability-report.ts', '--cluster-bench'], {
  cwd: root,
  stdio: 'inherit',
});
const bad = !!error || !run?.results || run.results.some((r) => r.lost + r.duplicated + r.callsEnded > 0);
console.log(
  `cluster under load: ${calls} calls; ${bad ? 'FAILED, LOST, DUPLICATED OR ENDED' : 'every call went on, nothing lost or duplicated'}`,
);
process.exit(bad ? 1 : 0);
