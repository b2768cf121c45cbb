// `npm start`: installs what is missing, then runs the whole platform (scripts/stack.ts).
import { spawn } from 'node:child_process';
import { ensureNodeDeps } from './ensure-node-deps.mjs';

ensureNodeDeps();
const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/stack.ts', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
// The stack handles Ctrl-C itself (it stops every child it started); just wait for it.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
