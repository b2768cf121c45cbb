import { existsSync } from 'node:fs';
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
 *   (agent/dev/bundle.ts) without tsx. The production image already runs compiled job.js.
 * - `--max-semi-space-size` (AGENT_JOB_SEMI_SPACE_MB): V8 grows the young generation to two 16 MB
 *   semi-spaces by default; a job's garbage (per 10 ms audio frame) dies young. Idle job 174 → 156 MB.
 * - `--heap-growing-percent` (AGENT_JOB_HEAP_GROWING_PERCENT): V8's own growth factor let a host of 4
 *   calls hold 217–356 MB; at 20 % it held 214–228 MB at the same CPU.
 * - MALLOC_ARENA_MAX (AGENT_JOB_MALLOC_ARENAS): glibc gives each thread that allocates (rtc-node's
 *   runtime, onnxruntime, V8's helpers) an arena of its own, up to 8 per core.
 * - The allocator (AGENT_JOB_ALLOCATOR, AGENT_JOB_MALLOC_TRIM_KB): see jobMallocEnv.
 * Malloc settings are environment variables read when a process starts; agents forks job processes
 * with the worker's environment, so they are set in it here. The job process removes them from its
 * own environment (forgetJobMallocEnv) so the speech engines it runs start with their defaults.
 */
export async function jobEntry(
  config: AgentConfig,
  mainUrl: string,
  warn: (msg: string) => void = () => {},
): Promise<string> {
  const fromSources = mainUrl.endsWith('.ts');
  let entry = fileURLToPath(new URL(fromSources ? './job.ts' : './job.js', mainUrl));
  let bundled = false;
  if (fromSources && config.jobBundle) {
    const { bundleEntry } = await import('../dev/bundle');
    entry = await bundleEntry(entry, 'job');
    bundled = true;
  }
  const argv = jobExecArgv(process.execArgv, {
    dropTsx: bundled,
    semiSpaceMb: config.jobSemiSpaceMb,
    heapGrowingPercent: config.jobHeapGrowingPercent,
  });
  process.execArgv.splice(0, process.execArgv.length, ...argv);
  const malloc = jobMallocEnv(
    config,
    process.env,
    JEMALLOC_PATHS.find((p) => existsSync(p)),
  );
  if (malloc.missing) warn(malloc.missing);
  Object.assign(process.env, malloc.env);
  return entry;
}

/**
 * The job host's entry (several calls per process, job-host.ts): bundled like job.ts when run from
 * the sources, so that it starts on plain Node with the job processes' flags; job-host-main.js in
 * the production image.
 */
export async function jobHostEntry(config: AgentConfig, mainUrl: string): Promise<string> {
  const fromSources = mainUrl.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromSources ? './job-host-main.ts' : './job-host-main.js', mainUrl));
  if (!fromSources || !config.jobBundle) return entry;
  const { bundleEntry } = await import('../dev/bundle');
  return bundleEntry(entry, 'job-host');
}

/** Where Debian's and Ubuntu's libjemalloc2 (and a source build) put the library. */
const JEMALLOC_PATHS = [
  `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libjemalloc.so.2`,
  '/usr/lib/libjemalloc.so.2',
  '/usr/local/lib/libjemalloc.so.2',
];

/**
 * jemalloc's purging: dirty pages go back to the system after 1 s (default 10 s), from a
 * background thread instead of in the freeing thread, with 2 arenas instead of 4 per core.
 */
export const JEMALLOC_CONF = 'background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,narenas:2';

/** Variables a job process reads at start to choose and tune its malloc; forgotten once it runs. */
const JOB_MALLOC_VARS = [
  'LD_PRELOAD',
  'MALLOC_CONF',
  'MALLOC_ARENA_MAX',
  'MALLOC_TRIM_THRESHOLD_',
  'MALLOC_MMAP_THRESHOLD_',
];
const SET_BY_WORKER = 'PARLEY_JOB_MALLOC_VARS';

/**
 * The environment that gives job processes the configured malloc. jemalloc is preloaded
 * (LD_PRELOAD, ahead of any preload the worker already had) when the library is installed;
 * otherwise glibc's malloc, with MALLOC_ARENA_MAX and the trim/mmap thresholds when set.
 */
export function jobMallocEnv(
  config: Pick<AgentConfig, 'jobAllocator' | 'jobMallocArenas' | 'jobMallocTrimKb'>,
  env: NodeJS.ProcessEnv,
  jemallocPath: string | undefined,
): { env: Record<string, string>; missing?: string } {
  const out: Record<string, string> = {};
  let missing: string | undefined;
  if (config.jobAllocator === 'jemalloc' && jemallocPath) {
    out.LD_PRELOAD = [jemallocPath, env.LD_PRELOAD].filter(Boolean).join(' ');
    if (!env.MALLOC_CONF) out.MALLOC_CONF = JEMALLOC_CONF;
  } else {
    if (config.jobAllocator === 'jemalloc')
      missing = `AGENT_JOB_ALLOCATOR=jemalloc but libjemalloc.so.2 is not installed (Debian: libjemalloc2); job processes use glibc's malloc`;
    if (config.jobMallocArenas > 0) out.MALLOC_ARENA_MAX = String(config.jobMallocArenas);
    if (config.jobMallocTrimKb > 0) {
      out.MALLOC_TRIM_THRESHOLD_ = String(config.jobMallocTrimKb * 1024);
      out.MALLOC_MMAP_THRESHOLD_ = String(config.jobMallocTrimKb * 1024);
    }
  }
  if (Object.keys(out).length) out[SET_BY_WORKER] = Object.keys(out).join(',');
  return { env: out, missing };
}

/** In a job process: drops the malloc variables its worker set, so the processes it starts do not inherit them. */
export function forgetJobMallocEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const v of env[SET_BY_WORKER]?.split(',') ?? []) {
    if (!JOB_MALLOC_VARS.includes(v)) continue;
    // LD_PRELOAD keeps what the worker had after the library put in front of it.
    const rest = v === 'LD_PRELOAD' ? env.LD_PRELOAD?.split(' ').slice(1).join(' ') : '';
    if (rest) env[v] = rest;
    else delete env[v];
  }
  delete env[SET_BY_WORKER];
}

const LOADER_FLAG = /^(--import|--loader|--experimental-loader|--require|-r)$/;
const LOADER_FLAG_WITH_VALUE = /^(--import|--loader|--experimental-loader|--require|-r)=(.*)$/;
const isTsx = (v: string) => /^tsx(\/.*)?$/.test(v);

/** The Node flags for job processes: the worker's, without tsx's loader if asked, with the heap settings. */
export function jobExecArgv(
  execArgv: readonly string[],
  opts: { dropTsx: boolean; semiSpaceMb: number; heapGrowingPercent?: number },
): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (a.startsWith('--max-semi-space-size') || a.startsWith('--heap-growing-percent')) continue;
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
  if (opts.heapGrowingPercent) out.push(`--heap-growing-percent=${opts.heapGrowingPercent}`);
  return out;
}
