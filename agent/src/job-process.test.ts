import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from './config';
import { forgetJobMallocEnv, JEMALLOC_CONF, jobExecArgv, jobMallocEnv } from './job-process';

describe('jobExecArgv', () => {
  it("drops tsx's loader in each spelling and keeps the other flags", () => {
    for (const tsx of [['--import', 'tsx'], ['--import=tsx'], ['--loader', 'tsx/esm'], ['--require=tsx/cjs']])
      expect(
        jobExecArgv(['--enable-source-maps', ...tsx, '--import=/x/profile.mjs'], { dropTsx: true, semiSpaceMb: 0 }),
      ).toEqual(['--enable-source-maps', '--import=/x/profile.mjs']);
  });

  it('keeps tsx when the job entry is not bundled, and other preloads always', () => {
    expect(jobExecArgv(['--import', 'tsx'], { dropTsx: false, semiSpaceMb: 0 })).toEqual(['--import', 'tsx']);
    expect(jobExecArgv(['--import', './preload.mjs'], { dropTsx: true, semiSpaceMb: 0 })).toEqual([
      '--import',
      './preload.mjs',
    ]);
  });

  it('sets the semi-space cap once, replacing one the worker had', () => {
    expect(jobExecArgv(['--max-semi-space-size=16'], { dropTsx: true, semiSpaceMb: 2 })).toEqual([
      '--max-semi-space-size=2',
    ]);
    expect(jobExecArgv(['--max-semi-space-size=16'], { dropTsx: true, semiSpaceMb: 0 })).toEqual([]);
  });

  it('sets the old-generation growth once, replacing one the worker had, and leaves V8 its own at 0', () => {
    expect(
      jobExecArgv(['--heap-growing-percent=50'], { dropTsx: true, semiSpaceMb: 16, heapGrowingPercent: 20 }),
    ).toEqual(['--max-semi-space-size=16', '--heap-growing-percent=20']);
    expect(
      jobExecArgv(['--heap-growing-percent=50'], { dropTsx: true, semiSpaceMb: 0, heapGrowingPercent: 0 }),
    ).toEqual([]);
  });

  it('lets job hosts grow the old generation by 20 % before a major GC unless set', () => {
    const growing = (env: Record<string, string>) => loadAgentConfig(env).jobHeapGrowingPercent;
    expect(growing({})).toBe(20); // job hosts by default
    expect(growing({ AGENT_CALLS_PER_PROCESS: '1' })).toBe(0);
    expect(growing({ AGENT_JOB_HEAP_GROWING_PERCENT: '0' })).toBe(0);
    expect(growing({ AGENT_CALLS_PER_PROCESS: '1', AGENT_JOB_HEAP_GROWING_PERCENT: '30' })).toBe(30);
    expect(() => loadAgentConfig({ AGENT_JOB_HEAP_GROWING_PERCENT: '-5' })).toThrow();
  });

  it('caps the young generation at 2 MB for a process per call and 16 MB for job hosts unless set', () => {
    const semi = (env: Record<string, string>) => loadAgentConfig(env).jobSemiSpaceMb;
    expect(semi({})).toBe(16); // job hosts by default
    expect(semi({ AGENT_CALLS_PER_PROCESS: '1' })).toBe(2);
    expect(semi({ AGENT_CALLS_PER_PROCESS: '1', AGENT_JOB_SEMI_SPACE_MB: '0' })).toBe(0);
    expect(semi({ AGENT_JOB_SEMI_SPACE_MB: '4' })).toBe(4);
  });
});

describe('jobMallocEnv', () => {
  const glibc = { jobAllocator: 'glibc' as const, jobMallocArenas: 0, jobMallocTrimKb: 0 };
  const lib = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

  it("sets nothing for glibc's defaults", () => {
    expect(jobMallocEnv(glibc, {}, lib)).toEqual({ env: {} });
  });

  it('preloads jemalloc with its purging settings, after a preload the worker already had', () => {
    expect(
      jobMallocEnv({ ...glibc, jobAllocator: 'jemalloc', jobMallocArenas: 2 }, { LD_PRELOAD: '/x.so' }, lib),
    ).toEqual({
      env: { LD_PRELOAD: `${lib} /x.so`, MALLOC_CONF: JEMALLOC_CONF, PARLEY_JOB_MALLOC_VARS: 'LD_PRELOAD,MALLOC_CONF' },
    });
    // An operator's own MALLOC_CONF is kept.
    expect(jobMallocEnv({ ...glibc, jobAllocator: 'jemalloc' }, { MALLOC_CONF: 'narenas:1' }, lib).env).toEqual({
      LD_PRELOAD: lib,
      PARLEY_JOB_MALLOC_VARS: 'LD_PRELOAD',
    });
  });

  it("falls back to glibc's settings, with a reason, when the library is not installed", () => {
    const r = jobMallocEnv({ jobAllocator: 'jemalloc', jobMallocArenas: 2, jobMallocTrimKb: 128 }, {}, undefined);
    expect(r.env).toEqual({
      MALLOC_ARENA_MAX: '2',
      MALLOC_TRIM_THRESHOLD_: '131072',
      MALLOC_MMAP_THRESHOLD_: '131072',
      PARLEY_JOB_MALLOC_VARS: 'MALLOC_ARENA_MAX,MALLOC_TRIM_THRESHOLD_,MALLOC_MMAP_THRESHOLD_',
    });
    expect(r.missing).toMatch(/libjemalloc2/);
  });

  it('is forgotten in the job process, leaving what the worker had before', () => {
    const env: NodeJS.ProcessEnv = {
      PATH: '/bin',
      MALLOC_CONF: 'narenas:1',
      ...jobMallocEnv({ ...glibc, jobAllocator: 'jemalloc' }, { LD_PRELOAD: '/x.so', MALLOC_CONF: 'narenas:1' }, lib)
        .env,
    };
    forgetJobMallocEnv(env);
    expect(env).toEqual({ PATH: '/bin', LD_PRELOAD: '/x.so', MALLOC_CONF: 'narenas:1' });
  });
});
