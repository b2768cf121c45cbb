// density: how many simultaneous calls this machine sustains. Callers (rtc-node, speech in, fake
// providers) are added step by step; each step every caller takes a few turns. The ramp stops
// when turn latency p95 passes 2 × the single-call p95, replies underrun, or turns fail. Per
// step: CPU and RSS of every job process, the worker, the end-of-turn inference process, the
// gateway, the LiveKit server and the callers; server cores per call (everything but the callers
// and fakes, which share this box here) and what a dedicated 2-core server would carry.
// See docs/performance.md.
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summarizeProfiles } from '../lib/cpuprofile';
import { descendantPids } from '@parley/tools';
import { DEFAULT_CALLS_PER_PROCESS } from '@parley/agent/config';
import { agentJobPid, type Caller } from '@parley/testkit/caller';
import { machineSampler } from '../lib/machine';
import { cpuTimeMs, rssMb } from '../lib/proc';
import { readFileSync } from 'node:fs';
import { printFigures, writeResult, type BenchResult, type Figure } from '../lib/report';
import { round, sleep, summarize } from '../lib/stats';
import { kindOf, FAKES, joinArm, measureTurn, settle, speech, startAgentBench, type TurnSample } from './harness';

const SENTENCES = ['What time is it in Paris?', 'Tell me a fun fact.', 'How is the weather today?'];
const REPLY = 'Sure, here you go.';
const arg = (args: string[], k: string, d: number) =>
  Number(args.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);

/** A process's resident memory by kind (MB): anonymous (V8 heap, malloc, native libraries' allocations) and file-backed (code). */
function rssParts(pid: number): { anon: number; file: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0);
    return { anon: kb('RssAnon') / 1024, file: (kb('RssFile') + kb('RssShmem')) / 1024 };
  } catch {
    return null;
  }
}

/** Environment variables that choose or tune a job process's malloc (agent/src/job-process.ts). */
const MALLOC_ENV = [
  'LD_PRELOAD',
  'MALLOC_CONF',
  'MALLOC_ARENA_MAX',
  'MALLOC_TRIM_THRESHOLD_',
  'MALLOC_MMAP_THRESHOLD_',
];

/** A job process's Node flags (its command line before the script), its malloc (jemalloc mapped or glibc's) and malloc settings. */
function jobProcessFlags(
  pid: number,
): { nodeFlags: string[]; allocator: string; mallocEnv: Record<string, string> } | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const jemalloc = readFileSync(`/proc/${pid}/maps`, 'utf8').includes('libjemalloc');
    return {
      nodeFlags: argv.slice(
        1,
        argv.findIndex((a) => a.endsWith('job_proc_lazy_main.js') || /job-host/.test(a)),
      ),
      allocator: jemalloc ? 'jemalloc' : 'glibc',
      mallocEnv: Object.fromEntries(
        env
          .filter((e) => MALLOC_ENV.includes(e.split('=')[0]!))
          .map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)]),
      ),
    };
  } catch {
    return null;
  }
}

/** Agent settings that change how job processes run, as this run had them (defaults unless set). */
const AGENT_SETTINGS = [
  'AGENT_CALLS_PER_PROCESS',
  'AGENT_INPUT_FRAME_MS',
  'AGENT_SESSION_EVENTS',
  'AGENT_JOB_BUNDLE',
  'AGENT_JOB_SEMI_SPACE_MB',
  'AGENT_JOB_HEAP_GROWING_PERCENT',
  'AGENT_JOB_ALLOCATOR',
  'AGENT_JOB_MALLOC_ARENAS',
  'AGENT_JOB_MALLOC_TRIM_KB',
];

/** CPU time of a set of processes now (ms), keyed by pid. */
const cpuSnapshot = (pids: number[]) => new Map(pids.map((p) => [p, cpuTimeMs(p) ?? 0]));

/**
 * A step measures calls in progress, not a start-up. agents' pool keeps idle warm slots
 * (`idleProcesses`); with job hosts the call that takes a host's last free slot makes the pool start
 * another host, which loads agents, rtc-node and Silero on a whole core. Waits until every job
 * process without a call is quiet (under 0.1 cores over a second; the profiler of `--profile` alone
 * costs a few per cent), at most 30 s, and returns how long that took. A process per call
 * (AGENT_CALLS_PER_PROCESS=1) has the same warm-up for every call.
 */
async function warmSlotsSettled(workerPid: number, callers: Caller[]): Promise<number> {
  const t0 = Date.now();
  const busy = new Set(callers.map(agentJobPid));
  await sleep(500); // the pool starts its new idle slots as a job is launched
  while (Date.now() - t0 < 30_000) {
    const idle = (await descendantPids(workerPid)).filter((p) => kindOf(p) === 'job' && !busy.has(p));
    const a = cpuSnapshot(idle);
    await sleep(1000);
    const b = cpuSnapshot(idle);
    if (idle.every((p) => (b.get(p) ?? 0) - (a.get(p) ?? 0) < 100)) break;
  }
  return Date.now() - t0;
}

export async function run(args: string[]): Promise<BenchResult> {
  const started = Date.now();
  const steps = (args.find((a) => a.startsWith('--steps='))?.split('=')[1] ?? '1,2,3,4,6,8,12,16,20,24')
    .split(',')
    .map(Number);
  const turnsPerCaller = arg(args, 'turns', 3);
  const budgetMs = arg(args, 'budget', 270) * 1000;
  // A lever experiment (agent settings from the environment) writes density-<label>.json and
  // leaves the run of record alone.
  const label = args
    .find((a) => a.startsWith('--label='))
    ?.split('=')[1]
    ?.replace(/[^a-z0-9-]/gi, '');
  const callsPerProcess = Number(process.env.AGENT_CALLS_PER_PROCESS || DEFAULT_CALLS_PER_PROCESS);
  const agentSettings = Object.fromEntries(AGENT_SETTINGS.map((k) => [k, process.env[k] ?? 'default']));
  const machine = machineSampler();
  // --profile: every agent process writes a V8 CPU profile when it exits (job processes end with their call).
  const profDir = args.includes('--profile') ? mkdtempSync(path.join(os.tmpdir(), 'parley-density-prof-')) : null;
  const b = await startAgentBench({
    baseline: false,
    idleProcesses: 2,
    openai: { reply: () => REPLY },
    gateway: 'process',
    udpPortCount: 400,
    ...(profDir
      ? {
          agentEnv: {
            NODE_OPTIONS: `--import=${path.join(import.meta.dirname, '../lib/profile-preload.mjs')}`,
            BENCH_PROFILE_DIR: profDir,
          },
        }
      : {}),
  });
  const jobPidsSeen = new Set<number>();
  let jobFlags: ReturnType<typeof jobProcessFlags> = null;
  const windows: Array<[number, number]> = [];
  const callers: Caller[] = [];
  try {
    const voices = await speech(SENTENCES);
    const workerPid = b.stack.worker!.process.pid!;
    const lkPid = b.stack.livekit.process.pid!;
    const gwPid = b.stack.gatewayProcess!.process.pid!;
    const rows: Array<Record<string, unknown>> = [];
    let singleP95: number | null = null;
    let maxSustainable = 0;
    let stopReason = 'all steps passed';
    for (const n of steps) {
      if (Date.now() - started > budgetMs) {
        stopReason = `time budget (${budgetMs / 1000} s) reached before ${n} calls`;
        break;
      }
      // Add callers up to n (each a signed-in user of its own), wait for their greetings.
      const joining: Promise<Caller>[] = [];
      for (let i = callers.length; i < n; i++)
        joining.push(joinArm(b, 'parley').then(async (c) => (await settle(c, 90_000), c)));
      const joined = await Promise.allSettled(joining);
      for (const j of joined) if (j.status === 'fulfilled') callers.push(j.value);
      const joinFailures = joined.filter((j) => j.status === 'rejected').length;
      const settleMs = await warmSlotsSettled(workerPid, callers);
      const pids = await descendantPids(workerPid);
      const kinds = new Map(pids.map((p) => [p, kindOf(p)]));
      const watched = [...pids, workerPid, lkPid, gwPid, process.pid];
      const cpu0 = cpuSnapshot(watched);
      const t0 = performance.now();
      // Every caller takes its turns, starts staggered so turns do not line up.
      const samples: TurnSample[] = [];
      let failed = 0;
      await Promise.all(
        callers.map(async (c, i) => {
          await sleep((i * 2500) / callers.length);
          for (let t = 0; t < turnsPerCaller; t++) {
            try {
              samples.push(await measureTurn(c, voices[(i + t) % voices.length]!, 25_000));
            } catch {
              failed++;
            }
          }
        }),
      );
      const wallMs = performance.now() - t0;
      windows.push([Date.now() - wallMs, Date.now()]);
      const cpu1 = cpuSnapshot(watched);
      const share = (pid: number) => round(((cpu1.get(pid) ?? 0) - (cpu0.get(pid) ?? 0)) / wallMs, 3);
      const jobPids = pids.filter((p) => kinds.get(p) === 'job');
      jobPids.forEach((p) => jobPidsSeen.add(p));
      // The busiest job processes, as many as the calls need: one per call, or one per
      // AGENT_CALLS_PER_PROCESS calls with job hosts (agent/src/job-host.ts).
      const busyJobs = jobPids
        .map((p) => ({ pid: p, cpu: share(p), rss: rssMb(p) ?? 0, parts: rssParts(p) }))
        .sort((a, b) => b.cpu - a.cpu)
        .slice(0, Math.ceil(n / callsPerProcess));
      // How the job processes actually ran: their Node flags and malloc arenas (first step only).
      if (!jobFlags && jobPids.length) jobFlags = jobProcessFlags(jobPids[0]!);
      const biggest = busyJobs.length ? busyJobs.reduce((m, j) => (j.rss >= m.rss ? j : m)) : null;
      const inference = pids.filter((p) => kinds.get(p) === 'inference');
      // Everything a dedicated server runs for the calls: every process under the worker (job processes,
      // busy or idle, the inference process if any, local speech engines), the worker, the gateway and
      // LiveKit. The callers and provider fakes run in this benchmark process and are counted apart.
      const serverCpu = [...pids, workerPid, lkPid, gwPid].reduce((s, p) => s + share(p), 0);
      const lat = summarize(samples.map((s) => s.latencyMs));
      const underrunTurns = samples.filter((s) => s.underruns > 0).length;
      if (n === steps[0]) singleP95 = lat.p95;
      const row = {
        calls: n,
        joined: callers.length,
        joinFailures,
        settleMs,
        turns: samples.length,
        failedTurns: failed,
        p50: lat.p50,
        p95: lat.p95,
        underrunTurns,
        maxFrameGapMs: round(Math.max(0, ...samples.map((s) => s.maxFrameGapMs))),
        jobCpuPerCall: round(busyJobs.reduce((s, j) => s + j.cpu, 0) / Math.max(1, callers.length), 3),
        // What the busy job processes hold per call in progress (with one call per process: their mean RSS).
        jobRssMbPerCall: round(busyJobs.reduce((s, j) => s + j.rss, 0) / Math.max(1, callers.length), 0),
        jobRssMbMax: round(Math.max(0, ...busyJobs.map((j) => j.rss)), 0),
        jobRssMbMean: round(busyJobs.reduce((s, j) => s + j.rss, 0) / Math.max(1, busyJobs.length), 0),
        // Of the largest busy job: anonymous (heap, malloc, native allocations) and file-backed (code) RSS.
        jobRssAnonMb: round(biggest?.parts?.anon ?? 0, 0),
        jobRssFileMb: round(biggest?.parts?.file ?? 0, 0),
        jobProcesses: jobPids.length,
        inferenceRssMb: round(
          inference.reduce((s, p) => s + (rssMb(p) ?? 0), 0),
          0,
        ),
        inferenceCpu: round(
          inference.reduce((s, p) => s + share(p), 0),
          3,
        ),
        workerCpu: share(workerPid),
        workerRssMb: round(rssMb(workerPid) ?? 0, 0),
        livekitCpu: share(lkPid),
        gatewayCpu: share(gwPid),
        callersCpu: share(process.pid),
        serverCpu: round(serverCpu, 3),
        // Per call actually in progress (a failed join is not a call).
        serverCoresPerCall: round(serverCpu / Math.max(1, callers.length), 3),
        loadAverage1m: round((await import('node:os')).loadavg()[0]!),
      };
      rows.push(row);
      console.log(
        `  ${n} calls (warm slots settled in ${settleMs} ms): p50 ${lat.p50} ms, p95 ${lat.p95} ms, ${samples.length} turns (${failed} failed, ${underrunTurns} underran), job CPU ${row.jobCpuPerCall} cores/call, job RSS ≤ ${row.jobRssMbMax} MB, server ${row.serverCoresPerCall} cores/call, LiveKit ${row.livekitCpu}, callers ${row.callersCpu}, load ${row.loadAverage1m}`,
      );
      const tooSlow = singleP95 !== null && n !== steps[0] && lat.p95 > 2 * singleP95;
      const broken = failed > 0 || joinFailures > 0 || underrunTurns > Math.max(1, samples.length * 0.05);
      if (tooSlow || broken) {
        stopReason = tooSlow
          ? `turn p95 ${lat.p95} ms > 2 × single-call p95 (${singleP95} ms) at ${n} calls`
          : `${failed} failed turns, ${joinFailures} failed joins, ${underrunTurns} underrun replies at ${n} calls`;
        break;
      }
      maxSustainable = n;
    }
    for (const c of callers.splice(0)) await c.hangUp().catch(() => undefined);
    let profile: ReturnType<typeof summarizeProfiles> | null = null;
    if (profDir) {
      await sleep(6000); // the last 5 s slice of each job process
      // Only 5 s slices of job processes that lie inside a measured window (not start-up, not idle).
      const inWindow = (f: string) => {
        const end = statSync(path.join(profDir, f)).mtimeMs;
        return windows.some(([a, z]) => end - 5000 >= a - 500 && end <= z + 1000);
      };
      const jobFiles = () =>
        readdirSync(profDir).filter((f) => jobPidsSeen.has(Number(f.split('-')[0])) && inWindow(f));
      const only = mkdtempSync(path.join(os.tmpdir(), 'parley-density-jobs-'));
      for (const f of jobFiles()) renameSync(path.join(profDir, f), path.join(only, f));
      profile = summarizeProfiles(only, '', 20);
      // --keep-profiles: leave the job slices (.cpuprofile) for a closer look.
      if (args.includes('--keep-profiles')) console.log(`job process profiles kept in ${only}`);
      else rmSync(only, { recursive: true, force: true });
      console.log(
        `job process CPU profile (${jobPidsSeen.size} processes, slices inside measured windows, self time):`,
      );
      console.table(profile.buckets);
      console.table(profile.hotSpots);
      console.log('the same self time charged to the nearest package or Parley function on each stack:');
      console.table(profile.callers);
    }
    const last = rows.at(-1) ?? {};
    const sustained = rows.filter((r) => (r.calls as number) <= maxSustainable);
    const rssMax = Math.max(0, ...rows.map((r) => r.jobRssMbMax as number));
    // The issue's reference point: 8 concurrent calls, or the last sustained step below it.
    const at8 = sustained.find((r) => r.calls === 8) ?? sustained.at(-1);
    const perCall = (at8?.serverCoresPerCall as number | undefined) ?? null;
    const p95Ratio = at8 && singleP95 ? round((at8.p95 as number) / singleP95, 2) : null;
    const figures: Figure[] = [
      {
        name: 'max sustainable concurrent calls',
        value: maxSustainable,
        unit: 'calls',
        target: { op: '>=', value: 24 },
      },
      { name: 'single-call turn p95', value: singleP95, unit: 'ms' },
      {
        name: `server cores per call at ${at8?.calls ?? '—'} calls (job + worker + inference + gateway + LiveKit)`,
        value: perCall,
        unit: 'cores',
        target: { op: '<=', value: 0.08 },
        note: 'callers and provider fakes excluded (reported below)',
      },
      {
        name: 'calls a dedicated 2-core server would carry (2 ÷ server cores per call)',
        value: perCall ? Math.floor(2 / perCall) : null,
        unit: 'calls',
        target: { op: '>=', value: 24 },
      },
      {
        name: `turn p95 at ${at8?.calls ?? '—'} calls ÷ single-call p95`,
        value: p95Ratio,
        unit: 'x',
        target: { op: '<=', value: 1.25 },
      },
      { name: 'job process RSS (largest seen)', value: rssMax, unit: 'MB', target: { op: '<=', value: 150 } },
      {
        name: `job process memory per call at ${at8?.calls ?? '—'} calls (busy job processes' RSS ÷ calls)`,
        value: (at8?.jobRssMbPerCall as number | undefined) ?? null,
        unit: 'MB',
        note: `${callsPerProcess} call(s) per job process (AGENT_CALLS_PER_PROCESS)`,
      },
      {
        name: 'job process CPU per call (at the last sustained step)',
        value: (sustained.at(-1)?.jobCpuPerCall as number) ?? null,
        unit: 'cores',
      },
      {
        name: 'end-of-turn inference process RSS',
        value: (last.inferenceRssMb as number) ?? null,
        unit: 'MB',
        target: { op: '<=', value: 0, text: 'none (VAD turn detection)' },
      },
      { name: 'LiveKit server CPU (last step)', value: (last.livekitCpu as number) ?? null, unit: 'cores' },
      {
        name: 'callers and provider fakes CPU (last step; this benchmark process, not the server)',
        value: (last.callersCpu as number) ?? null,
        unit: 'cores',
      },
    ];
    const result: BenchResult = {
      benchmark: `density${profDir ? '-profile' : ''}${label ? `-${label}` : ''}`,
      date: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      settings: {
        steps,
        turnsPerCallerPerStep: turnsPerCaller,
        reply: REPLY,
        fakes: FAKES,
        stopWhen:
          'turn p95 > 2 × single-call p95, a failed turn or join, or more than 5 % of replies with a frame gap > 100 ms',
        gateway: 'own process',
        livekitUdpPorts: 400,
        callers: 'all in the benchmark process (rtc-node), with the provider fakes',
        serverCpu: 'every process under the agent worker + the worker + the gateway + LiveKit',
        budgetSeconds: budgetMs / 1000,
        agent: agentSettings,
        jobProcess: jobFlags,
      },
      machine: machine.finish(),
      figures,
      data: { steps: rows, stopReason, ...(profile ? { jobProfile: profile } : {}) },
    };
    printFigures(`density (load ${result.machine.loadAverage.start[0]}; stopped: ${stopReason})`, figures);
    console.table(
      rows.map((r) => ({
        calls: r.calls,
        p50: r.p50,
        p95: r.p95,
        failed: r.failedTurns,
        underran: r.underrunTurns,
        'job CPU/call': r.jobCpuPerCall,
        'job RSS MB': r.jobRssMbMax,
        'job MB/call': r.jobRssMbPerCall,
        'anon/file MB': `${r.jobRssAnonMb}/${r.jobRssFileMb}`,
        'inference MB': r.inferenceRssMb,
        'LiveKit CPU': r.livekitCpu,
        'gateway CPU': r.gatewayCpu,
        'server CPU/call': r.serverCoresPerCall,
        'callers CPU': r.callersCpu,
        load: r.loadAverage1m,
      })),
    );
    writeResult(result);
    return result;
  } finally {
    for (const c of callers) await c.hangUp().catch(() => undefined);
    await b.stop();
    if (profDir) rmSync(profDir, { recursive: true, force: true });
  }
}
