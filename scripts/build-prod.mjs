// Production build, run by deploy/Dockerfile (and by its test, on a copy of the repository):
//   node scripts/build-prod.mjs [dir]
// compiles the runtime workspaces' TypeScript to JavaScript next to the sources with the TypeScript
// compiler (per-file transpilation: `npm run typecheck` is where types are checked), points their
// package.json exports at the .js files and removes the TypeScript sources and tests, so the result
// runs with `node --import ./deploy/runtime/register.mjs gateway/src/main.js` and no tsx. The web
// client is built separately (`npm run build -w web`).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const RUNTIME = ['protocol', 'db', 'tools', 'gateway', 'agent'];
/** Tests and test-only helpers: not compiled, not shipped. */
const TEST_ONLY = /(\.test\.ts|\/testing\.ts|\/test-factory\.ts)$/;
const dir = path.resolve(process.argv[2] ?? '.');
const ts = createRequire(path.join(dir, 'package.json'))('typescript');
const t = Date.now();

const compilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  verbatimModuleSyntax: true,
  sourceMap: true,
};

/** Compiles every .ts under `folder` to .js beside it, then removes the .ts (tests without output). */
function compile(folder) {
  let files = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const p = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      files += compile(p);
      continue;
    }
    if (!entry.name.endsWith('.ts')) continue;
    if (!TEST_ONLY.test(p)) {
      const out = ts.transpileModule(readFileSync(p, 'utf8'), { compilerOptions, fileName: entry.name });
      const js = p.replace(/\.ts$/, '.js');
      writeFileSync(js, out.outputText);
      if (out.sourceMapText) writeFileSync(`${js}.map`, out.sourceMapText);
      files++;
    }
    rmSync(p);
  }
  return files;
}

const toJs = (v) =>
  typeof v === 'string'
    ? v.replace(/\.ts$/, '.js')
    : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJs(x)]));

let files = 0;
for (const ws of RUNTIME) {
  files += compile(path.join(dir, ws, 'src'));
  const file = path.join(dir, ws, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  pkg.exports = toJs(pkg.exports);
  if (pkg.scripts?.start) pkg.scripts.start = 'node --import ../deploy/runtime/register.mjs src/main.js';
  writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
}
console.log(`production build in ${dir}: ${files} files compiled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
