import { fileURLToPath } from 'node:url';
import type { AgentConfig } from './config';

/**
 * How job processes start. agents 1.8.1 forks every job process with Node's default flags, the
 * worker's own `process.execArgv` (ipc/job_proc_executor.ts passes none when agents itself is
 * compiled JavaScript), so this sets them there, once, before the server forks its first process.
 * Measured in docs/performance.md (density):
 * - From the TypeScript sources (`npm start`, tests, benchmarks) the worker runs under
 *   `--import tsx`, and so did each job process: tsx's loader thread, its esbuild child and
 *   compiled sources held per process. Job processes now run one plain-JavaScript bundle of job.ts
 *   (agent/dev/job-bundle.ts) without tsx. The production image already runs compiled job.js.
 * - `--max-semi-space-size` (AGENT_JOB_SEMI_SPACE_MB): V8 grows the young generation to two 16 MB
 *   semi-spaces by default; a job's garbage (per 10 ms audio frame) dies young. Idle job 174 → 156 MB.
 * - MALLOC_ARENA_MAX (AGENT_JOB_MALLOC_ARENAS): glibc gives each thread that allocates (rtc-node's
 *   runtime, onnxruntime, V8's helpers) an arena of its own, up to 8 per core.
 */
export async function jobEntry(config: AgentConfig, mainUrl: string): Promise<string> {
  const fromSources = mainUrl.endsWith('.ts');
  let entry = fileURLToPath(new URL(fromSources ? './job.ts' : './job.js', mainUrl));
  let bundled = false;
  if (fromSources && config.jobBundle) {
    const { bundleJobEntry } = await import('../dev/job-bundle');
    entry = await bundleJobEntry(entry);
    bundled = true;
  }
  const argv = jobExecArgv(process.execArgv, { dropTsx: bundled, semiSpaceMb: config.jobSemiSpaceMb });
  process.execArgv.splice(0, process.execArgv.length, ...argv);
  // Read by glibc when a process starts: set here, it applies to the processes forked from now on.
  if (config.jobMallocArenas > 0) process.env.MALLOC_ARENA_MAX = String(config.jobMallocArenas);
  return entry;
}

const LOADER_FLAG = /^(--import|--loader|--experimental-loader|--require|-r)$/;
const LOADER_FLAG_WITH_VALUE = /^(--import|--loader|--experimental-loader|--require|-r)=(.*)$/;
const isTsx = (v: string) => /^tsx(\/.*)?$/.test(v);

/** The Node flags for job processes: the worker's, without tsx's loader if asked, with the young-generation cap. */
export function jobExecArgv(execArgv: readonly string[], opts: { dropTsx: boolean; semiSpaceMb: number }): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (a.startsWith('--max-semi-space-size')) continue;
    if (opts.dropTsx) {
      const m = LOADER_FLAG_WITH_VALUE.exec(a);
      if (m && isTsx(m[2]!)) continue;
      if (LOADER_FLAG.test(a) && isTsx(execArgv[i + 1] ?? '')) {
        i++;
        continue;
      }
    }
    out.push(a);
  }
  if (opts.semiSpaceMb > 0) out.push(`--max-semi-space-size=${opts.semiSpaceMb}`);
  return out;
}
