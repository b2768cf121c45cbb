// `npm test`: installs what the tests need, checks types and lint, runs every workspace's tests
// (one vitest run over all projects) and ends with one plain summary line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureNodeDeps } from './ensure-node-deps.mjs';

const step = (name) => console.log(`\n== ${name}`);
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', ...opts }).status ?? 1;

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

mkdirSync('test-results', { recursive: true });
const vitest = (name, projects, extra = []) => {
  step(`tests: ${name}`);
  const out = `test-results/vitest-${name}.json`;
  rmSync(out, { force: true });
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
  return { status, out };
};
// Fast suites in parallel; then the whole-stack suites one file at a time (see vitest.config.ts).
const phases = [vitest('unit', ['unit', 'web']), vitest('stack', ['stack'])];

let passed = 0,
  failed = 0,
  skipped = 0;
for (const { out } of phases) {
  if (!existsSync(out)) {
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(out, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  // A suite that failed to load counts as a failure even though none of its tests ran.
  failed += r.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
}
// docs/reliability.md is generated from this run (faults, attacks, bad input, their counts).
run(process.execPath, ['--import', 'tsx', 'scripts/reliability-report.ts']);

// Static checks count like tests: a type error or lint error fails the run.
for (const status of [typecheck, lint]) {
  if (status === 0) passed++;
  else failed++;
}
console.log(`\ntypecheck: ${typecheck === 0 ? 'ok' : 'FAILED'}, lint: ${lint === 0 ? 'ok' : 'FAILED'}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(phases.some((p) => p.status !== 0) || failed > 0 ? 1 : 0);
