// Development only (the worker run from its TypeScript sources: `npm start`, tests, benchmarks).
// Job processes are forked with the worker's own Node flags, so under `--import tsx` every job
// process loaded tsx too: a loader thread, an esbuild child process and on-the-fly compilation,
// about 50–60 MB of each job's RSS (docs/performance.md, density). Instead the worker bundles
// job.ts and the workspace code it imports once, with esbuild (which tsx already uses), into one
// plain ES module; npm packages stay imports, resolved from agent/ as before. The production image
// runs compiled JavaScript (scripts/build-prod.mjs) and never loads this file.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, stop, type Plugin } from 'esbuild';

const agentDir = path.resolve(import.meta.dirname, '..');
/**
 * Inside agent/node_modules so that Node resolves the bundle's bare imports exactly as it does for
 * agent/src (agent/node_modules, then the root's); node_modules is ignored by git.
 */
export const JOB_BUNDLE_DIR = path.join(agentDir, 'node_modules', '.cache', 'parley-job');

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
 * Bundles `entry` (agent/src/job.ts) and returns the bundle's path. The file name carries a hash
 * of its content, so workers started together from the same sources write the same file (written
 * under a temporary name, then renamed) and a changed source gives a new file.
 */
export async function bundleJobEntry(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // A linked map (job-….mjs.map): nothing held in memory unless Node runs with --enable-source-maps.
    sourcemap: 'linked',
    sourcesContent: false,
    outdir: JOB_BUNDLE_DIR,
    entryNames: 'job',
    logLevel: 'silent',
    plugins: [externalPackages],
  }).finally(() => stop()); // esbuild's service process is not kept next to the job processes
  const js = out.outputFiles.find((f) => f.path.endsWith('.js'))!;
  const map = out.outputFiles.find((f) => f.path.endsWith('.js.map'));
  const hash = createHash('sha256').update(js.contents).digest('hex').slice(0, 16);
  const file = path.join(JOB_BUNDLE_DIR, `job-${hash}.mjs`);
  const write = (to: string, text: string) => {
    const tmp = `${to}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, to);
  };
  if (!existsSync(file)) {
    mkdirSync(JOB_BUNDLE_DIR, { recursive: true });
    if (map) write(`${file}.map`, map.text);
    write(
      file,
      js.text.replace(/\/\/# sourceMappingURL=job\.js\.map\s*$/, `//# sourceMappingURL=${path.basename(file)}.map\n`),
    );
  }
  return file;
}
