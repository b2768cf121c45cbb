// `npm start`: installs what is missing, then runs the whole platform (scripts/stack.ts).
import { spawn } from 'node:child_process';
import { ensureNodeDepsAsync, nodeDepsCurrent } from './ensure-node-deps.mjs';

const t0 = Date.now();
const log = (msg) => console.log(`[parley] ${msg}`);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

if (!nodeDepsCurrent()) {
  log('installing npm dependencies (npm ci, typically 1–2 minutes)…');
  const beat = setInterval(() => log(`  … still installing npm dependencies (${seconds(t0)} so far)`), 15_000);
  try {
    await ensureNodeDepsAsync();
  } catch (err) {
    log(err.message);
    process.exit(1);
  } finally {
    clearInterval(beat);
  }
  log(`installing npm dependencies: done in ${seconds(t0)}`);
}
const args = ['--import', 'tsx', 'scripts/stack.ts', `--started-at=${t0}`, ...process.argv.slice(2)];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
// The stack handles Ctrl-C itself (it stops every child it started); just wait for it.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
