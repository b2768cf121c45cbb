import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { stageProductionBuild } from '@parley/testkit/prod-build';

const repo = path.resolve(import.meta.dirname, '../..');

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
  stageProductionBuild(dir);

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
