// `npm test`: installs what the tests need, checks types and lint, runs every workspace's tests
// (unit phase, then the whole-stack phase), regenerates docs/reliability.md from this run and ends
// with one plain summary line: "N passed, N failed" over tests only, typecheck and lint beside it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ensureNodeDeps } from './ensure-node-deps.mjs';

const step = (name) => console.log(`\n== ${name}`);
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', ...opts }).status ?? 1;

// Results of this run only: nothing an older run left behind may be counted or reported.
rmSync('test-results', { recursive: true, force: true });
mkdirSync('test-results', { recursive: true });
writeFileSync('test-results/run.json', JSON.stringify({ startedAt: new Date().toISOString() }));

step('system packages');
if (run('bash', ['scripts/ensure-system-deps.sh']) !== 0) process.exit(1);
step('npm dependencies');
ensureNodeDeps();

step('services');
for (const [name, cmd, args] of [
  ['PostgreSQL 127.0.0.1:5432', 'pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']],
  ['Redis 127.0.0.1:6379', 'redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping']],
]) {
  const ok = spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  console.log(`${name}: ${ok ? 'up' : 'DOWN'}`);
  if (!ok) {
    console.error(`Tests need ${name}. On Debian: see .ci/run for the commands that start it.`);
    process.exit(1);
  }
}

step('livekit-server');
if (run(process.execPath, ['--import', 'tsx', 'tools/src/ensure-cli.ts']) !== 0) process.exit(1);

step('web build (served to the browser tests)');
if (run('npm', ['run', 'build', '-w', 'web', '--silent']) !== 0) process.exit(1);

step('typecheck');
const typecheck = run('npm', ['run', 'typecheck', '--silent']);
step('lint');
const lint = run('npm', ['run', 'lint', '--silent']);

const vitest = (name, projects, extra = []) => {
  step(`tests: ${name}`);
  const out = `test-results/vitest-${name}.json`;
  const status = run(process.execPath, [
    'node_modules/vitest/vitest.mjs',
    'run',
    ...projects.flatMap((p) => ['--project', p]),
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
    ...extra,
    ...process.argv.slice(2),
  ]);
  return { name, status, out };
};
// Fast suites in parallel; then the whole-stack suites one file at a time (see vitest.config.ts).
const phases = [vitest('unit', ['unit', 'web']), vitest('stack', ['stack'])];

// docs/reliability.md is generated from this run; the same script counts every test of the run
// (de-duplicated per file, scripts/lib/test-results.ts) into test-results/summary.json.
step('reliability report');
const report = run(process.execPath, ['--import', 'tsx', 'scripts/reliability-report.ts']);
const counts = existsSync('test-results/summary.json')
  ? JSON.parse(readFileSync('test-results/summary.json', 'utf8'))
  : { passed: 0, failed: 0, skipped: 0, knownFailures: 0 };
// A phase that wrote no report (vitest crashed) ran tests nobody counted: one failure each.
const lostPhases = phases.filter((p) => !existsSync(p.out));
for (const p of lostPhases) console.error(`tests: ${p.name} wrote no results (${p.out})`);
counts.failed += lostPhases.length + (report === 0 ? 0 : 1);

// The summary counts tests only; typecheck and lint are reported beside it and fail the run too.
const extra = [
  counts.knownFailures ? `${counts.knownFailures} known failures` : '',
  counts.skipped ? `${counts.skipped} skipped` : '',
].filter(Boolean);
const checks = `typecheck ${typecheck === 0 ? 'ok' : 'FAILED'}, lint ${lint === 0 ? 'ok' : 'FAILED'}`;
console.log(`\n${counts.passed} passed, ${counts.failed} failed${extra.map((e) => `, ${e}`).join('')} (${checks})`);
process.exit(phases.some((p) => p.status !== 0) || counts.failed > 0 || typecheck !== 0 || lint !== 0 ? 1 : 0);
