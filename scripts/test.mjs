// `npm test`: installs what the tests need, checks types and lint, runs every workspace's tests
// (unit phase, then the whole-stack phase), regenerates docs/reliability.md from this run and ends
// with one plain summary line: "N passed, N failed" over tests only, typecheck and lint beside it.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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

// Checks and test phases, as separate processes. Two things run side by side, each pair measured
// to gain time without starving the other: type check and lint beside the unit phase (unit files
// mostly wait on Postgres, Redis and sockets), and the gateway-only browser files beside the
// whole-stack files (one file at a time each; see vitest.config.ts). The side process's output is
// kept in test-results/<name>.log and printed once it ends, so the log reads one block per step.
const started = Date.now();
const seconds = () => `${Math.round((Date.now() - started) / 1000)} s`;
const exited = (child) =>
  new Promise((resolve) => {
    child.on('error', () => resolve(1));
    child.on('close', (code) => resolve(code ?? 1));
  });
// A step whose output goes to the log as it runs.
const inFront = (name, cmd, args) => {
  step(`${name} (from ${seconds()})`);
  return exited(spawn(cmd, args, { stdio: 'inherit' }));
};
// A step run beside another: its output is kept and printed in one block when it ends.
const beside = async (name, cmd, args) => {
  const log = `test-results/${name.replace(/\W+/g, '-')}.log`;
  const fd = openSync(log, 'w');
  const status = await exited(spawn(cmd, args, { stdio: ['ignore', fd, fd] }));
  closeSync(fd);
  step(`${name} (ran beside the tests; ended ${seconds()} into the run)`);
  process.stdout.write(readFileSync(log, 'utf8'));
  return status;
};
const vitest = async (name, projects, place, options = []) => {
  const out = `test-results/vitest-${name}.json`;
  const args = ['node_modules/vitest/vitest.mjs', 'run', ...projects.flatMap((p) => ['--project', p]), ...options];
  args.push('--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2));
  return { name, out, status: await place(`tests: ${name}`, process.execPath, args) };
};

// Type check, then lint, beside the unit phase; then the browser files beside the stack files.
const checks = (async () => [
  await beside('typecheck', 'npm', ['run', 'typecheck', '--silent']),
  await beside('lint', 'npm', ['run', 'lint', '--silent']),
])();
// Unit files run two at a time even on 2 cores (vitest's default there is one): they mostly wait
// on Postgres, Redis and sockets, and each owns its database, Redis prefix and ports.
const unitWorkers = Math.max(2, availableParallelism() - 1);
const unit = await vitest('unit', ['unit', 'web'], inFront, [`--maxWorkers=${unitWorkers}`]);
const [typecheck, lint] = await checks;
const [stack, browser] = await Promise.all([
  vitest('stack', ['stack'], inFront),
  vitest('browser', ['browser'], beside),
]);
const phases = [unit, stack, browser];
console.log(`\nall test phases ended ${seconds()} into the run`);

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
const checkLine = `typecheck ${typecheck === 0 ? 'ok' : 'FAILED'}, lint ${lint === 0 ? 'ok' : 'FAILED'}`;
console.log(`\n${counts.passed} passed, ${counts.failed} failed${extra.map((e) => `, ${e}`).join('')} (${checkLine})`);
process.exit(phases.some((p) => p.status !== 0) || counts.failed > 0 || typecheck !== 0 || lint !== 0 ? 1 : 0);
