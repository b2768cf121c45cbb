// Import boundaries between Parley's packages, checked by dependency-cruiser in `npm run lint`
// (and so in `npm test`). docs/architecture.md draws the same arrows. Every rule is an error.
import { readFileSync } from 'node:fs';

const root = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
/** Our workspaces (top-level folders) and what each one's package.json declares. */
const workspaces = root.workspaces.map((dir) => {
  const pkg = JSON.parse(readFileSync(new URL(`./${dir}/package.json`, import.meta.url), 'utf8'));
  return {
    dir,
    name: pkg.name,
    deps: Object.keys(pkg.dependencies ?? {}),
    devDeps: Object.keys(pkg.devDependencies ?? {}),
  };
});
const byName = new Map(workspaces.map((w) => [w.name, w.dir]));
const dirs = (names) => names.filter((n) => byName.has(n)).map((n) => byName.get(n));
const anyOf = (list) => (list.length ? `^(${list.join('|')})/` : '^$');
const OURS = workspaces.map((w) => w.dir);
const except = (...allowed) => anyOf(OURS.filter((d) => !allowed.includes(d)));

/** Test code: test files and the web client's test set-up (web/test/). Everything under src/ but tests ships. */
const TEST = '\\.test\\.tsx?$|^web/test/';
/** Code that runs in production: the runtime packages' src/, minus tests. */
const PRODUCTION = '^(protocol|db|tools|gateway|agent|web)/src/';

const only = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from, pathNot: TEST },
  to: { path: except(...allowed) },
});

/** A workspace imports another one only by package name, and only when its package.json says so. */
const declarations = workspaces.flatMap((w) => {
  const declared = dirs([...w.deps, ...w.devDeps]);
  const runtime = dirs(w.deps);
  return [
    {
      name: `undeclared-workspace:${w.dir}`,
      comment: `${w.name} imports a workspace that its package.json does not declare`,
      severity: 'error',
      from: { path: `^${w.dir}/` },
      to: { path: except(w.dir, ...declared) },
    },
    {
      name: `dev-workspace-in-production:${w.dir}`,
      comment: `production code of ${w.name} imports a workspace declared only in devDependencies`,
      severity: 'error',
      from: { path: `^${w.dir}/src/`, pathNot: TEST },
      to: { path: except(w.dir, ...runtime) },
    },
  ];
});
/** The root package (scripts/, config files) declares what it imports too. */
const rootDeclared = dirs([...Object.keys(root.dependencies ?? {}), ...Object.keys(root.devDependencies ?? {})]);

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle: split the shared piece into a module both sides import',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    only('protocol-imports-nothing-of-ours', '^protocol/', ['protocol'], 'protocol is the shared contract'),
    only('db-imports-nothing-of-ours', '^db/', ['db'], 'db owns the queries and depends on no other package of ours'),
    only('tools-imports-nothing-of-ours', '^tools/', ['tools'], 'tools is a small runtime utility package'),
    only('web-imports-protocol-only', '^web/src/', ['web', 'protocol'], 'the browser client knows only the contract'),
    only('gateway-imports-db-and-protocol', '^gateway/', ['gateway', 'db', 'protocol'], 'gateway → db, protocol'),
    only('agent-imports-protocol-and-tools', '^agent/', ['agent', 'protocol', 'tools'], 'agent → protocol, tools'),
    {
      name: 'no-test-code-in-production',
      comment: 'production code imports test helpers (testkit, e2e, bench) or a test file',
      severity: 'error',
      from: { path: PRODUCTION, pathNot: TEST },
      to: { path: [anyOf(['testkit', 'e2e', 'bench']), TEST] },
    },
    {
      name: 'not-to-test-files',
      comment: 'a test file is imported; shared test code belongs in testkit/',
      severity: 'error',
      from: {},
      to: { path: '\\.test\\.tsx?$' },
    },
    {
      name: 'testkit-not-to-e2e-or-bench',
      comment: 'testkit serves e2e and bench, never the other way round',
      severity: 'error',
      from: { path: '^testkit/' },
      to: { path: anyOf(['e2e', 'bench']) },
    },
    {
      name: 'feature-routes-are-private',
      comment: "a gateway feature imports another feature's routes.ts: move what they share out of it",
      severity: 'error',
      from: { path: '^gateway/src/([^/]+)/' },
      to: { path: '^gateway/src/[^/]+/routes\\.ts$', pathNot: '^gateway/src/$1/' },
    },
    {
      name: 'no-relative-reach-into-another-package',
      comment: 'import another workspace by its package name (@parley/…), not by a relative path',
      severity: 'error',
      from: { path: '^([^/]+)/' },
      to: { dependencyTypes: ['local'], dependencyTypesNot: ['aliased'], path: anyOf(OURS), pathNot: '^$1/' },
    },
    {
      name: 'no-relative-reach-from-root',
      comment: 'root scripts import workspaces by package name',
      severity: 'error',
      from: { path: '^[^/]+$|^scripts/' },
      to: { dependencyTypes: ['local'], dependencyTypesNot: ['aliased'], path: anyOf(OURS) },
    },
    {
      name: 'undeclared-workspace:root',
      comment: 'a root script imports a workspace that the root package.json does not declare',
      severity: 'error',
      from: { path: '^[^/]+$|^scripts/' },
      to: { path: except(...rootDeclared) },
    },
    ...declarations,
    {
      name: 'undeclared-npm-dependency',
      comment: "an npm package that is not in the importing workspace's package.json (nor the root's tooling)",
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'dev-dependency-in-production',
      comment: 'production code imports an npm package declared only in devDependencies',
      severity: 'error',
      from: { path: PRODUCTION, pathNot: TEST },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    // Root devDependencies (vitest, typescript) are the shared tooling every workspace may use.
    combinedDependencies: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(web/dist|test-results|bench/results|coverage|\\.data)/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
