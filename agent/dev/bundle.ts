// Development only (the agent run from its TypeScript sources: `npm start`, tests, benchmarks).
// Under `--import tsx` every process pays for tsx: a loader thread that every import goes through,
// an esbuild child process and on-the-fly compilation. Job processes are forked with the worker's
// own Node flags, so each carried about 50–60 MB of it (docs/performance.md, density); the worker
// took 4–5 s to import its modules where a bundle takes 1.7 s (measured 4 Dec, idle 2-core box);
// the tests run the worker and the gateway processes from bundles too (testkit/src/bundled.ts).
// So entries are bundled once with esbuild (which tsx already uses) into one plain ES module each:
// our workspace code is bundled, npm packages stay imports, resolved from agent/ as before. The
// production image runs compiled JavaScript (scripts/build-prod.mjs) and never loads this file.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, stop, type Plugin } from 'esbuild';

/**
 * Inside agent/node_modules so that Node resolves the bundle's bare imports exactly as it does for
 * agent/src (agent/node_modules, then the root's); node_modules is ignored by git.
 */
export const BUNDLE_DIR = path.resolve(import.meta.dirname, '..', 'node_modules', '.cache', 'parley-job');

/** npm packages are left as imports; our workspaces (@parley/*, TypeScript sources) are bundled. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@parley/') ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * Each bundled source keeps its own `import.meta.url` / `import.meta.dirname` (in one bundle they
 * would all be the bundle's): main.ts finds job.ts next to itself, this file finds agent/.
 */
const ownImportMeta: Plugin = {
  name: 'own-import-meta',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.')) return undefined;
      const contents = source
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)));
      return { contents, loader: 'ts' };
    });
  },
};

/**
 * Bundles `entry` (agent/src/job.ts, agent/src/main.ts; the tests also bundle gateway/src/main.ts)
 * into `outDir` and returns the bundle's path. `outDir` must sit where Node resolves the entry's
 * npm packages (its workspace's node_modules). The file name is `name` and a hash of the content,
 * so processes started together from the same sources write the same file (written under a
 * temporary name, then renamed) and a changed source gives a new file.
 */
export async function bundleEntry(entry: string, name: string, outDir = BUNDLE_DIR): Promise<string> {
  // The sources a previous bundle was made from, with their size and mtime: when none changed, that
  // bundle is used without running esbuild (about 1 s of CPU per worker start and per test file).
  const sourcesFile = path.join(outDir, `${name}.sources.json`);
  const stampOf = (file: string) => {
    const st = statSync(file, { throwIfNoEntry: false });
    return st ? `${st.size}:${st.mtimeMs}` : 'missing';
  };
  const previous = readJson(sourcesFile);
  if (
    previous?.entry === entry &&
    existsSync(previous.bundle) &&
    Object.entries(previous.sources).every(([file, stamp]) => stampOf(file) === stamp)
  )
    return previous.bundle;

  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    absWorkingDir: path.dirname(entry),
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // A linked map (….mjs.map): nothing held in memory unless Node runs with --enable-source-maps.
    sourcemap: 'linked',
    sourcesContent: false,
    outdir: outDir,
    entryNames: name,
    logLevel: 'silent',
    plugins: [externalPackages, ownImportMeta],
  }).finally(() => stop()); // esbuild's service process is not kept next to the job processes
  const js = out.outputFiles.find((f) => f.path.endsWith('.js'))!;
  const map = out.outputFiles.find((f) => f.path.endsWith('.js.map'));
  const hash = createHash('sha256').update(js.contents).digest('hex').slice(0, 16);
  const file = path.join(outDir, `${name}-${hash}.mjs`);
  const write = (to: string, text: string) => {
    const tmp = `${to}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, to);
  };
  mkdirSync(outDir, { recursive: true });
  if (!existsSync(file)) {
    if (map) write(`${file}.map`, map.text);
    write(
      file,
      js.text.replace(
        new RegExp(`//# sourceMappingURL=${name}\\.js\\.map\\s*$`),
        `//# sourceMappingURL=${path.basename(file)}.map\n`,
      ),
    );
  }
  const sources = Object.keys(out.metafile.inputs).map((f) => path.resolve(path.dirname(entry), f));
  write(
    sourcesFile,
    JSON.stringify({ entry, bundle: file, sources: Object.fromEntries(sources.map((f) => [f, stampOf(f)])) }),
  );
  return file;
}

interface SourcesRecord {
  entry: string;
  bundle: string;
  sources: Record<string, string>;
}

function readJson(file: string): SourcesRecord | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SourcesRecord;
  } catch {
    return null;
  }
}
