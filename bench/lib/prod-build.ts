import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const repo = path.resolve(import.meta.dirname, '../..');
/** The workspaces deploy/Dockerfile's image runs (scripts/build-prod.mjs compiles these). */
const RUNTIME = ['protocol', 'db', 'tools', 'gateway', 'agent'];

export interface ProdBuild {
  dir: string;
  /** Where a bench file given to buildProduction is, compiled (`bench/fanout/relay.ts` → its .js). */
  compiled(file: string): string;
  remove(): void;
}

/**
 * The production build of the runtime workspaces (scripts/build-prod.mjs, as deploy/Dockerfile runs
 * it: TypeScript compiled to JavaScript, run with plain `node`, no tsx) in a temporary folder, with
 * this checkout's dependencies linked in; plus the given bench server scripts (repository-relative,
 * with the bench files they import) compiled the same way, so a benchmark's servers run as
 * production's do. Their relative imports must be extensionless, like the sources'.
 */
export function buildProduction(benchFiles: string[]): ProdBuild {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-build-'));
  const workspaces: string[] = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).workspaces;
  for (const f of ['package.json', 'package-lock.json', '.npmrc']) cpSync(path.join(repo, f), path.join(dir, f));
  for (const ws of workspaces) cpSync(path.join(repo, ws, 'package.json'), path.join(dir, ws, 'package.json'));
  for (const ws of RUNTIME) {
    cpSync(path.join(repo, ws, 'src'), path.join(dir, ws, 'src'), { recursive: true });
    // A workspace's own dependencies (e.g. the gateway's lru-cache, another major than the root's).
    if (existsSync(path.join(repo, ws, 'node_modules')))
      symlinkSync(path.join(repo, ws, 'node_modules'), path.join(dir, ws, 'node_modules'));
  }
  const nm = path.join(dir, 'node_modules');
  mkdirSync(path.join(nm, '@parley'), { recursive: true });
  for (const entry of readdirSync(path.join(repo, 'node_modules')))
    if (entry !== '@parley' && entry !== '.bin')
      symlinkSync(path.join(repo, 'node_modules', entry), path.join(nm, entry));
  for (const ws of workspaces) {
    const name = JSON.parse(readFileSync(path.join(dir, ws, 'package.json'), 'utf8')).name as string;
    symlinkSync(path.join(dir, ws), path.join(nm, name));
  }
  execFileSync(process.execPath, [path.join(repo, 'scripts/build-prod.mjs'), dir], { stdio: 'ignore' });

  const done = new Set<string>();
  const compile = (file: string) => {
    if (done.has(file)) return;
    done.add(file);
    const source = readFileSync(path.join(repo, file), 'utf8');
    // Relative imports get the .js Node's loader needs (build-prod.mjs does the same for the sources).
    const withJs = source.replace(
      /(from\s+['"])(\.{1,2}\/[^'"]+?)(['"])/g,
      (_m, a: string, spec: string, b: string) => {
        compile(path.join(path.dirname(file), `${spec}.ts`));
        return `${a}${spec}.js${b}`;
      },
    );
    const out = ts.transpileModule(withJs, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: path.basename(file),
    });
    const js = path.join(dir, file.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(js), { recursive: true });
    writeFileSync(js, out.outputText);
  };
  for (const f of benchFiles) compile(f);
  return {
    dir,
    compiled: (file) => path.join(dir, file.replace(/\.ts$/, '.js')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
