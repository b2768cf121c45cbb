// The import boundaries (.dependency-cruiser.mjs, run by `npm run lint`) on a small copy of the
// monorepo: the repository's own config and package.json files, a few source files that keep to
// the allowed arrows, then one planted file per rule that must make the same command fail.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const rootPkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
const workspaces: string[] = rootPkg.workspaces;

/** `npm run lint:boundaries`, with the repository's depcruise binary, in `cwd`. */
function checkBoundaries(cwd: string) {
  const [bin, ...args] = (rootPkg.scripts['lint:boundaries'] as string).split(' ');
  expect(bin).toBe('depcruise');
  const cli = path.join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  const violations = [...r.stdout.matchAll(/^\s*error ([\w:-]+): (\S+) →/gm)].map((m) => ({
    rule: m[1]!,
    from: m[2]!,
  }));
  return { status: r.status, output: r.stdout + r.stderr, violations };
}

let dir: string;
const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'parley-boundaries-'));
  copyFileSync(path.join(repo, '.dependency-cruiser.mjs'), path.join(dir, '.dependency-cruiser.mjs'));
  copyFileSync(path.join(repo, 'package.json'), path.join(dir, 'package.json'));
  for (const ws of workspaces) {
    write(`${ws}/package.json`, readFileSync(path.join(repo, ws, 'package.json'), 'utf8'));
    // Workspaces are linked into node_modules by name, as npm does.
    const name = JSON.parse(readFileSync(path.join(repo, ws, 'package.json'), 'utf8')).name as string;
    mkdirSync(path.join(dir, 'node_modules', path.dirname(name)), { recursive: true });
    spawnSync('ln', ['-s', `../../${ws}`, path.join(dir, 'node_modules', name)]);
  }
  for (const pkg of ['zod', 'express'])
    write(`node_modules/${pkg}/package.json`, JSON.stringify({ name: pkg, version: '1.0.0', main: 'index.js' }));
  for (const pkg of ['zod', 'express']) write(`node_modules/${pkg}/index.js`, 'export default {};\n');

  // Only allowed arrows: gateway → db, protocol; agent → protocol, tools; web → protocol; the
  // gateway's composition root → every feature's routes; tests → testkit; e2e → anything by name.
  write('protocol/src/index.ts', "import { z } from 'zod';\nexport const Id = z;\n");
  write('db/src/index.ts', 'export const createDatabase = () => null;\n');
  write('tools/src/index.ts', 'export const freePort = () => 0;\n');
  write('gateway/src/calls/routes.ts', "import { Id } from '@parley/protocol';\nexport const calls = Id;\n");
  write(
    'gateway/src/auth/routes.ts',
    "import { createDatabase } from '@parley/db';\nexport const auth = createDatabase;\n",
  );
  write('gateway/src/routes.ts', "export * from './calls/routes';\nexport * from './auth/routes';\n");
  write('gateway/src/index.ts', "export * from './routes';\n");
  write('gateway/src/calls/calls.test.ts', "import { gw } from '@parley/testkit';\nexport const t = gw;\n");
  write(
    'agent/src/main.ts',
    "import { Id } from '@parley/protocol';\nimport { freePort } from '@parley/tools';\n[Id, freePort];\n",
  );
  write('web/src/main.ts', "import { Id } from '@parley/protocol';\nexport const w = Id;\n");
  write(
    'testkit/src/index.ts',
    "export * from '@parley/gateway';\nexport { createDatabase as gw } from '@parley/db';\n",
  );
  write(
    'e2e/flow.test.ts',
    "import { gw } from '@parley/testkit';\nimport { Id } from '@parley/protocol';\n[gw, Id];\n",
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('import boundaries (npm run lint)', () => {
  it('pass on code that keeps to the allowed arrows', () => {
    const r = checkBoundaries(dir);
    expect(r.violations).toEqual([]);
    expect(r.output).toMatch(/no dependency violations found \(\d+ modules/);
    expect(r.status).toBe(0);
  }, 60_000);

  it('fail on each planted violation, naming its rule and file', () => {
    const planted: Record<string, [string, string]> = {
      'web-imports-protocol-only': ['web/src/planted.ts', "import { createDatabase } from '@parley/db';\n"],
      'no-test-code-in-production': ['gateway/src/calls/planted-testkit.ts', "import { gw } from '@parley/testkit';\n"],
      'feature-routes-are-private': ['gateway/src/calls/planted-routes.ts', "import { auth } from '../auth/routes';\n"],
      'not-to-test-files': ['gateway/src/calls/planted-test-import.ts', "import { t } from './calls.test';\n"],
      'no-circular': [
        'gateway/src/planted-cycle-a.ts',
        "import { b } from './planted-cycle-b';\nexport const a = 1;\n",
      ],
      'agent-imports-protocol-and-tools': ['agent/src/planted.ts', "import { createDatabase } from '@parley/db';\n"],
      'db-imports-nothing-of-ours': ['db/src/planted.ts', "import { Id } from '@parley/protocol';\n"],
      'no-relative-reach-into-another-package': [
        'e2e/planted-relative.ts',
        "import { calls } from '../gateway/src/index';\n",
      ],
      'undeclared-workspace:e2e': ['e2e/planted-undeclared.ts', "import { calls } from '@parley/gateway';\n"],
      'undeclared-npm-dependency': ['e2e/planted-npm.ts', "import express from 'express';\n"],
    };
    write('gateway/src/planted-cycle-b.ts', "import { a } from './planted-cycle-a';\nexport const b = a;\n");
    for (const [file, text] of Object.values(planted)) write(file, text);

    const r = checkBoundaries(dir);
    expect(r.status).not.toBe(0);
    for (const [rule, [file]] of Object.entries(planted))
      expect(r.violations, `${rule} for ${file}\n${r.output}`).toContainEqual({
        rule,
        from: rule === 'no-circular' ? expect.stringMatching(/planted-cycle-[ab]\.ts$/) : file,
      });
    // Nothing else is reported: every violation comes from a planted file.
    expect(r.violations.filter((v) => !v.from.includes('planted'))).toEqual([]);
  }, 60_000);
});
