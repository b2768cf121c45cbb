// Production build, run by deploy/Dockerfile (and by its test, on a copy of the repository):
//   node scripts/build-prod.mjs [dir]
// compiles the runtime workspaces' TypeScript to JavaScript next to the sources with the TypeScript
// compiler (per-file transpilation: `npm run typecheck` is where types are checked), points their
// package.json exports at the .js files and removes the TypeScript sources and tests, so the result
// runs with plain `node gateway/src/main.js`: no tsx, no resolve hook. The web client is built
// separately (`npm run build -w web`).
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const RELATIVE = /^\.{1,2}\//;

/**
 * The file a relative, extensionless import of `from` names, as Node's ESM loader wants it: the
 * sources write `./context` and `./providers/index` (tsx and bundlers resolve those), Node needs
 * `./context.js`. Without this, every process (job processes included) ran a resolve hook on a
 * loader thread of its own, ~12 MB each (docs/performance.md, density). Unknown files stay as written.
 */
function withExtension(specifier, from) {
  if (!RELATIVE.test(specifier) || /\.(m?js|json|node)$/.test(specifier)) return specifier;
  const target = path.resolve(path.dirname(from), specifier);
  // The sources as they are, or already compiled (this script removes each .ts as it goes).
  const exists = (p) => existsSync(`${p}.ts`) || existsSync(`${p}.js`);
  if (exists(target)) return `${specifier}.js`;
  if (exists(path.join(target, 'index'))) return `${specifier}/index.js`;
  return specifier;
}

/** A transformer giving relative import/export specifiers (static and `import()`) their `.js` file name. */
const jsExtensions = (fileName) => (context) => (sourceFile) => {
  const { factory } = context;
  const rewrite = (lit) => factory.createStringLiteral(withExtension(lit.text, fileName));
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier))
      return factory.updateImportDeclaration(
        node,
        node.modifiers,
        node.importClause,
        rewrite(node.moduleSpecifier),
        node.attributes,
      );
    if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      return factory.updateExportDeclaration(
        node,
        node.modifiers,
        node.isTypeOnly,
        node.exportClause,
        rewrite(node.moduleSpecifier),
        node.attributes,
      );
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length > 0 &&
      ts.isStringLiteral(node.arguments[0])
    )
      return factory.updateCallExpression(node, node.expression, node.typeArguments, [
        rewrite(node.arguments[0]),
        ...node.arguments.slice(1),
      ]);
    return ts.visitEachChild(node, visit, context);
  };
  return ts.visitNode(sourceFile, visit);
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
      const out = ts.transpileModule(readFileSync(p, 'utf8'), {
        compilerOptions,
        fileName: entry.name,
        transformers: { after: [jsExtensions(p)] },
      });
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
  if (pkg.scripts?.start) pkg.scripts.start = 'node src/main.js';
  writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
}
console.log(`production build in ${dir}: ${files} files compiled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
