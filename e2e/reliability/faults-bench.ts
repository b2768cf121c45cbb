// `npm run bench -- faults [--calls=20] [--faults=a,b]`: every fault during many concurrent calls
// (e2e/reliability/under-load.ts), figures written to bench/results/faults.json and into
// docs/reliability.md's benchmark section. Needs the heavy lock like every benchmark.
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { dispose } from '@livekit/rtc-node';
import { faultsUnderLoad, type LoadFault } from './under-load';

const root = path.resolve(import.meta.dirname, '../..');
const arg = (k: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1];
const calls = Number(arg('calls') ?? 20);
const faults = (arg('faults')?.split(',') ?? [
  'postgres_outage',
  'redis_restart',
  'gateway_sigkill',
  'agent_job_sigkill',
  'livekit_restart',
]) as LoadFault[];

const started = Date.now();
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const loadStart = load();
const results = await faultsUnderLoad({ calls, faults, log: (s) => console.log(s) });
await dispose();
const result = {
  benchmark: 'faults',
  date: new Date(started).toISOString(),
  durationSeconds: Math.round((Date.now() - started) / 1000),
  settings: { calls, faults },
  machine: { cores: os.cpus().length, node: process.version, loadAverage: { start: loadStart, end: load() } },
  figures: [
    {
      name: 'utterances lost',
      value: results.reduce((a, r) => a + r.lost, 0),
      unit: 'utterances',
      target: { op: '<=', value: 0 },
    },
    {
      name: 'utterances duplicated',
      value: results.reduce((a, r) => a + r.duplicated, 0),
      unit: 'utterances',
      target: { op: '<=', value: 0 },
    },
    {
      name: 'missed or doubled on open sockets',
      value: results.reduce((a, r) => a + r.live.lost + r.live.duplicated, 0),
      unit: 'utterances',
      target: { op: '<=', value: 0 },
    },
  ],
  data: { faults: results },
};
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/faults.json'), `${JSON.stringify(result, null, 2)}\n`);
spawnSync(process.execPath, ['--import', 'tsx', 'scripts/reliability-report.ts', '--bench-only'], {
  cwd: root,
  stdio: 'inherit',
});
const bad = result.figures.some((f) => (f.value ?? 0) > 0);
console.log(
  `faults under load: ${results.length} faults, ${calls} calls; ${bad ? 'LOST OR DUPLICATED' : 'nothing lost or duplicated'}`,
);
process.exit(bad ? 1 : 0);
