// fanout: transcript delivery from agent ingest to WebSocket subscribers at N concurrent
// conversations over two gateway processes (one database, one Redis prefix), against a bare
// Redis pub/sub → ws relay (relay.ts, also two processes) with the same message pattern. The two
// arms alternate in rounds within one run. See docs/performance.md.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient } from 'redis';
import { createTestDatabase, TEST_INGEST_SECRET, TEST_REDIS_URL } from '@parley/testkit';
import { machineSampler } from '../lib/machine';
import { buildProduction, type ProdBuild } from '../lib/prod-build';
import { forkServer, cpuMeter, startProfile, stopProfile, type ChildServer } from '../lib/proc';
import { summarizeProfiles } from '../lib/cpuprofile';
import { collectPauses, type Pause } from '../lib/stalls';
import { printFigures, writeResult, type BenchResult, type Figure, RESULTS_DIR } from '../lib/report';
import { nowMs, round, sleep, summarize } from '../lib/stats';
import { createGuestCalls, createUserCalls, parleyArm, relayArm, type Arm, type Conversation } from './arms';
import { Tracker } from './tracker';

export interface FanoutOptions {
  conversations: number;
  /** One ingest request per conversation every intervalMs (each one event). */
  intervalMs: number;
  /** Measured seconds per arm per round. */
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  /** Every n-th event is an utterance (stored), the rest interims. */
  utteranceEvery: number;
  profile: boolean;
  /** guest: conversations kept in Redis (POST /api/calls as guests); user: signed-in users, utterances stored in Postgres. */
  kind: 'guest' | 'user';
  /** How the Parley arm's agent ingest reaches gateway A: its ingest stream (default) or a POST per batch. */
  ingest: 'stream' | 'post';
  /**
   * prod: gateways and relays run compiled with plain `node`, as deploy/Dockerfile runs the gateway
   * (scripts/build-prod.mjs); tsx: from the TypeScript sources through tsx (runs before 4 December).
   */
  build: 'prod' | 'tsx';
}

export const defaults: FanoutOptions = {
  conversations: 300,
  intervalMs: 500,
  seconds: 10,
  rounds: 4,
  warmupSeconds: 4,
  utteranceEvery: 5,
  profile: false,
  kind: 'guest',
  ingest: 'stream',
  build: 'prod',
};

const repoRoot = path.resolve(import.meta.dirname, '../..');

async function drive(arm: Arm, convs: Conversation[], o: FanoutOptions, seconds: number, tracker: Tracker | null) {
  const start = nowMs();
  const until = start + seconds * 1000;
  let k = 0;
  await Promise.all(
    convs.map(async (c, i) => {
      let next = start + (i / convs.length) * o.intervalMs;
      for (;;) {
        const wait = next - nowMs();
        if (wait > 0) await sleep(wait);
        if (nowMs() >= until) return;
        const id = `${tracker ? 'm' : 'w'}${arm.name[0]}${k++}`;
        const utter = c.tick++ % o.utteranceEvery === 0;
        const event = utter
          ? {
              type: 'utterance' as const,
              utterance: {
                seq: c.seq++,
                role: 'agent' as const,
                text: id,
                language: 'en',
                startedAt: new Date().toISOString(),
                endedAt: new Date().toISOString(),
                interrupted: false,
                metrics: null,
              },
            }
          : { type: 'interim' as const, role: 'agent' as const, segmentId: id, text: 'the agent is saying something' };
        const body = JSON.stringify({ events: [event] });
        tracker?.sent(id, utter ? 'utterance' : 'interim', nowMs());
        const status = await arm.ingest(c, body).catch(() => 0);
        if (status !== 200) tracker?.failed(id, status);
        next = Math.max(next + o.intervalMs, nowMs());
      }
    }),
  );
}

export async function run(args: string[]): Promise<BenchResult | null> {
  const o: FanoutOptions = { ...defaults };
  for (const a of args) {
    const [k, v] = a.replace(/^--/, '').split('=');
    if (k === 'profile') o.profile = true;
    else if (k === 'kind' && (v === 'guest' || v === 'user')) o.kind = v;
    else if (k === 'ingest' && (v === 'stream' || v === 'post')) o.ingest = v;
    else if (k === 'build' && (v === 'prod' || v === 'tsx')) o.build = v;
    else if (k && v && k in o) (o as unknown as Record<string, number>)[k] = Number(v);
  }
  const started = Date.now();
  const machine = machineSampler();
  const prefix = `parley-bench:${randomBytes(4).toString('hex')}:`;
  const relayPrefix = `${prefix}relay:`;
  const database = await createTestDatabase();
  // FANOUT_KEEP_PROFILES=<dir> keeps the .cpuprofile files there (for a look at one stall in DevTools).
  const keepProfiles = process.env.FANOUT_KEEP_PROFILES;
  if (o.profile && keepProfiles) mkdirSync(keepProfiles, { recursive: true });
  const profDir = o.profile ? (keepProfiles ?? mkdtempSync(path.join(os.tmpdir(), 'parley-fanout-prof-'))) : null;
  const servers: ChildServer[] = [];
  const lag = monitorEventLoopDelay({ resolution: 5 });
  const serverFiles = ['bench/fanout/gateway-proc.ts', 'bench/fanout/relay.ts'];
  let build: ProdBuild | null = null;
  try {
    if (o.build === 'prod') {
      const t = Date.now();
      build = buildProduction(serverFiles);
      console.log(`production build (scripts/build-prod.mjs) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    const [gatewayProc, relayProc] = serverFiles.map((f) => build?.compiled(f) ?? path.join(repoRoot, f));
    const gwEnv = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      SESSION_SECRET: 'bench-session-secret-0123456789abcdefghijkl',
      INGEST_SECRET: TEST_INGEST_SECRET,
      LIVEKIT_URL: 'ws://127.0.0.1:1',
    };
    const [gwA, gwB, relayA, relayB] = await Promise.all([
      forkServer(gatewayProc!, gwEnv),
      forkServer(gatewayProc!, gwEnv),
      forkServer(relayProc!, { REDIS_URL: TEST_REDIS_URL, RELAY_PREFIX: relayPrefix }),
      forkServer(relayProc!, { REDIS_URL: TEST_REDIS_URL, RELAY_PREFIX: relayPrefix }),
    ]);
    servers.push(gwA!, gwB!, relayA!, relayB!);
    const pauses: Record<string, Pause[]> = {
      gatewayA: collectPauses(gwA!.process),
      gatewayB: collectPauses(gwB!.process),
      relayA: collectPauses(relayA!.process),
      relayB: collectPauses(relayB!.process),
    };
    const windows: Array<{ arm: Arm['name']; round: number; from: number; to: number }> = [];
    console.log(
      `fanout: ${o.conversations} conversations, one event per ${o.intervalMs} ms each, ${o.rounds}×${o.seconds} s per arm`,
    );
    const convs = await (o.kind === 'user' ? createUserCalls : createGuestCalls)(gwA!.url, o.conversations);
    const arms = [relayArm(relayA!.url, relayB!.url), parleyArm(gwA!.url, gwB!.url, o.ingest)];
    const trackers = new Map(arms.map((a) => [a.name, new Tracker()]));
    const cpu = new Map(arms.map((a) => [a.name, { ms: 0, wallMs: 0 }]));
    const armServers = { baseline: [relayA!, relayB!], parley: [gwA!, gwB!] };
    for (const arm of arms) {
      const convCopies = convs.map((c) => ({ ...c, tick: 0, seq: 0 }));
      arm.convs = convCopies;
      await arm.subscribeAll(convCopies, (side, raw) => trackers.get(arm.name)!.received(side, raw, nowMs()));
    }
    for (const arm of arms) await drive(arm, arm.convs, o, o.warmupSeconds, null);
    await sleep(500);
    lag.enable();
    for (let r = 0; r < o.rounds; r++) {
      for (const arm of arms) {
        const own = armServers[arm.name];
        const meters = own.map((s) => cpuMeter(s.pid));
        if (profDir) await Promise.all(own.map((s) => startProfile(s)));
        const t0 = performance.now();
        const from = nowMs();
        await drive(arm, arm.convs, o, o.seconds, trackers.get(arm.name)!);
        windows.push({ arm: arm.name, round: r, from, to: nowMs() });
        if (profDir)
          await Promise.all(
            own.map((s, i) => stopProfile(s, path.join(profDir, `${arm.name}-${'AB'[i]}-${r}.cpuprofile`))),
          );
        const c = cpu.get(arm.name)!;
        c.wallMs += performance.now() - t0;
        c.ms += meters.reduce((s, m) => s + m.stop().cpuMs, 0);
        await sleep(1500);
      }
    }
    lag.disable();
    await sleep(2000); // drain: anything not here now counts as lost
    const perArm = Object.fromEntries(
      arms.map((a) => {
        const t = trackers.get(a.name)!;
        const c = cpu.get(a.name)!;
        const all = summarize(t.latencies.map((x) => x.ms));
        return [
          a.name,
          {
            latencyMs: all,
            byKind: {
              interim: summarize(t.latencies.filter((x) => x.kind === 'interim').map((x) => x.ms)),
              utterance: summarize(t.latencies.filter((x) => x.kind === 'utterance').map((x) => x.ms)),
            },
            bySide: {
              sameGateway: summarize(t.latencies.filter((x) => x.side === 'A').map((x) => x.ms)),
              otherGateway: summarize(t.latencies.filter((x) => x.side === 'B').map((x) => x.ms)),
            },
            sent: t.sentCount,
            ingestFailures: t.failures,
            delivered: t.latencies.length,
            lost: t.lost(2),
            duplicated: t.duplicates,
            unexpected: t.unexpected,
            ingestPerSecond: round(t.sentCount / (c.wallMs / 1000), 1),
            deliveredPerSecond: round(t.latencies.length / (c.wallMs / 1000), 1),
            serverCpuCores: round(c.ms / c.wallMs, 3),
            serverCpuMsPerDelivery: round(c.ms / Math.max(1, t.latencies.length), 4),
            histogram: t.histogram(),
          },
        ];
      }),
    );
    await Promise.all(arms.map((a) => a.closeAll()));
    const tail = tailReport(trackers, windows, pauses);
    const p = perArm.parley!;
    const b = perArm.baseline!;
    const ratio = round(p.latencyMs.p99 / b.latencyMs.p99);
    const figures: Figure[] = [
      { name: 'Parley p50', value: p.latencyMs.p50, unit: 'ms' },
      { name: 'Parley p99', value: p.latencyMs.p99, unit: 'ms', target: { op: '<=', value: 10 } },
      { name: 'Parley p99.9', value: p.latencyMs.p999, unit: 'ms' },
      { name: 'baseline p50', value: b.latencyMs.p50, unit: 'ms' },
      { name: 'baseline p99', value: b.latencyMs.p99, unit: 'ms' },
      { name: 'baseline p99.9', value: b.latencyMs.p999, unit: 'ms' },
      { name: 'p99 ratio Parley / baseline', value: ratio, unit: 'x', target: { op: '<=', value: 2, text: '≤ 2×' } },
      { name: 'Parley messages delivered per second', value: p.deliveredPerSecond, unit: 'msg/s' },
      { name: 'baseline messages delivered per second', value: b.deliveredPerSecond, unit: 'msg/s' },
      { name: 'Parley lost', value: p.lost + p.ingestFailures, unit: '', target: { op: '<=', value: 0, text: '0' } },
      { name: 'Parley duplicated', value: p.duplicated, unit: '', target: { op: '<=', value: 0, text: '0' } },
      { name: 'baseline lost + duplicated', value: b.lost + b.duplicated + b.ingestFailures, unit: '' },
      { name: 'Parley server CPU per delivery', value: p.serverCpuMsPerDelivery, unit: 'ms' },
      { name: 'baseline server CPU per delivery', value: b.serverCpuMsPerDelivery, unit: 'ms' },
      {
        name: 'server CPU ratio Parley / baseline (load-independent)',
        value: round(p.serverCpuMsPerDelivery / b.serverCpuMsPerDelivery),
        unit: 'x',
      },
      {
        name: 'offered deliveries per second',
        value: round((2 * o.conversations * 1000) / o.intervalMs),
        unit: 'msg/s',
      },
    ];
    const result: BenchResult = {
      benchmark: `fanout${o.kind === 'user' ? '-users' : ''}${o.ingest === 'post' ? '-post' : ''}${o.build === 'tsx' ? '-tsx' : ''}${o.profile ? '-profile' : ''}`,
      date: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      settings: {
        ...o,
        gateways: 2,
        subscribersPerConversation: 2,
        conversationKind:
          o.kind === 'user'
            ? 'signed-in users (utterances stored in Postgres)'
            : 'guests (POST /api/calls; utterances kept in Redis)',
        logLevel: 'info',
        servers:
          o.build === 'prod'
            ? 'production build (scripts/build-prod.mjs), plain node'
            : 'TypeScript sources through tsx',
      },
      machine: machine.finish(),
      figures,
      data: {
        arms: perArm,
        tail,
        driverEventLoopDelayMs: {
          p50: round(lag.percentile(50) / 1e6),
          p99: round(lag.percentile(99) / 1e6),
          max: round(lag.max / 1e6),
        },
      },
    };
    if (profDir) {
      result.data.profile = {
        gatewayA: summarizeProfiles(profDir, 'parley-A'),
        gatewayB: summarizeProfiles(profDir, 'parley-B'),
        relayA: summarizeProfiles(profDir, 'baseline-A'),
      };
      const prof = result.data.profile as Record<string, ReturnType<typeof summarizeProfiles>>;
      for (const k of ['gatewayA', 'gatewayB']) {
        console.log(`${k} CPU profile, measured window only (self time, idle excluded):`);
        console.table(prof[k]!.buckets);
        console.table(prof[k]!.hotSpots);
      }
    }
    printFigures(
      `fanout (${o.conversations} conversations, 2 gateways, load ${result.machine.loadAverage.start[0]})`,
      figures,
    );
    console.table(
      Object.entries(perArm).map(([name, a]) => ({
        arm: name,
        'p50 ms': a.latencyMs.p50,
        'p99 ms': a.latencyMs.p99,
        'p99.9 ms': a.latencyMs.p999,
        'same-gw p99': a.bySide.sameGateway.p99,
        'other-gw p99': a.bySide.otherGateway.p99,
        'msg/s': a.deliveredPerSecond,
        lost: a.lost,
        dup: a.duplicated,
        'server CPU (cores)': a.serverCpuCores,
      })),
    );
    console.log(
      `driver event-loop delay p99 ${result.data.driverEventLoopDelayMs && (result.data.driverEventLoopDelayMs as { p99: number }).p99} ms`,
    );
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeResult(result);
    return result;
  } finally {
    await Promise.allSettled(servers.map((s) => s.stop()));
    await database.drop().catch(() => undefined);
    await dropPrefix(prefix);
    if (profDir && !keepProfiles) rmSync(profDir, { recursive: true, force: true });
    build?.remove();
  }
}

/** Deletes this run's Redis keys (guest calls, sessions, rate-limit counters) under its own prefix. */
async function dropPrefix(prefix: string) {
  const r = createClient({ url: TEST_REDIS_URL });
  await r.connect();
  try {
    for await (const keys of r.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await r.del(keys);
  } finally {
    await r.quit();
  }
}

/** A delivery counts as late for the tail report from this latency on. */
const LATE_MS = 20;

/**
 * Where the tail is: late deliveries (≥ LATE_MS) per arm in 100 ms bins of their send time, and the
 * servers' event-loop stalls and GC pauses, all as seconds into the measured window they fell in
 * (`arm`/`round`). Lines a delivery stall up with the process that stalled.
 */
function tailReport(
  trackers: Map<Arm['name'], Tracker>,
  windows: Array<{ arm: Arm['name']; round: number; from: number; to: number }>,
  pauses: Record<string, Pause[]>,
) {
  const where = (at: number) => {
    const w = windows.find((x) => at >= x.from - 100 && at <= x.to + 1500);
    return w ? { arm: w.arm, round: w.round, s: round((at - w.from) / 1000, 2) } : null;
  };
  const late = [...trackers].map(([arm, t]) => {
    const bins = new Map<
      number,
      { n: number; maxMs: number; A: number; B: number; interim: number; utterance: number }
    >();
    for (const d of t.latencies) {
      if (d.ms < LATE_MS) continue;
      const k = Math.floor(d.at / 100) * 100;
      const b = bins.get(k) ?? { n: 0, maxMs: 0, A: 0, B: 0, interim: 0, utterance: 0 };
      b.n++;
      b.maxMs = Math.max(b.maxMs, round(d.ms, 1));
      b[d.side]++;
      b[d.kind]++;
      bins.set(k, b);
    }
    return {
      arm,
      lateMs: LATE_MS,
      late: [...bins].sort((a, b) => a[0] - b[0]).map(([at, b]) => ({ ...where(at), ...b })),
    };
  });
  const paused = Object.entries(pauses).flatMap(([server, list]) =>
    list
      .map((p) => ({ server, what: p.what, ms: p.ms, heapMb: p.heapMb, ...where(p.at) }))
      .filter((p) => p.arm !== undefined),
  );
  return { late, pauses: paused };
}
