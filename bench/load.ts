// Gateway load run (issue 11): login, me, call set-up (POST /api/calls: token creation with agent
// dispatch; no LiveKit contact needed) and history at steady mean rates on loopback, against the
// gateway as its own process (so its RSS and CPU are its own), real Postgres and Redis.
// Open-loop (bench/lib/open-loop.ts): each scenario's requests fall due at Poisson arrival times
// whether or not earlier ones were answered, and a latency counts from the moment its request fell
// due. A warm-up of the same mix (different arrival times) comes first; the measured window is
// marked in the gateway (bench/lib/window-probe.mjs: its CPU, event-loop delay, GC, and with
// --profile a CPU profile). Reports p50/p99 and errors per scenario, the gateway's CPU and RSS
// before/during/after, and keeps every sample; bounded (hard stop at duration + 120 s) and
// self-cleaning. Writes bench/results/load.json (with --profile: load-profile.json).
//   npm run bench -- load [--seconds=60] [--scale=1] [--hashing=production|test] [--profile]
//   (or: node --import tsx bench/load.ts …)
// --scale multiplies every rate (1 = login 5/s, me 40/s, calls 5/s, history 20/s).
// --hashing: production (default) runs the gateway with NODE_ENV=production, so login verifies
// with the production password hashing; test runs it with NODE_ENV=test (the cheap parameters the
// test suites use). Which one ran, and the parameters a stored hash showed, go to the settings.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createTestDatabase, TEST_REDIS_URL, TestClient } from '@parley/testkit';
import { gatewayAsProcess } from '@parley/testkit/stack';
import { describePasswordHashing, needsRehash, passwordParams } from '@parley/gateway/passwords';
import { summarizeProfiles } from './lib/cpuprofile';
import { machineSampler } from './lib/machine';
import { openLoop, type OpenLoopRequest, type OpenLoopResult } from './lib/open-loop';
import { printFigures, writeResult, type Figure } from './lib/report';
import { round, summarize } from './lib/stats';

const arg = (name: string, def: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def);
const SECONDS = arg('seconds', 60);
const SCALE = arg('scale', 1);
const USERS = 40;
const PASSWORD = 'load test passphrase 1234';
const RATES = { login: 5, me: 40, calls: 5, history: 20 };
const HASHING = process.argv.find((a) => a.startsWith('--hashing='))?.split('=')[1] ?? 'production';
if (HASHING !== 'production' && HASHING !== 'test') {
  console.error(`load: --hashing must be production or test, not "${HASHING}"`);
  process.exit(2);
}
/** The gateway's NODE_ENV, which selects its password hashing (gateway/src/security/passwords.ts). */
const NODE_ENV = HASHING === 'production' ? 'production' : 'test';
const hashParams = passwordParams({ env: NODE_ENV });
const PROFILE = process.argv.includes('--profile');
const WARMUP_SECONDS = 10;
/** Keep-alive connections per scenario (requests due while all are busy wait, and that counts). */
const CONNECTIONS = 16;
/** Warnings and errors only: no access log line per request. */
const LOG_LEVEL = 'warn';

interface GatewayWindow {
  wallMs: number;
  cpu: { userMs: number; systemMs: number; cores: number };
  eventLoopDelay: { p50: number; p99: number; max: number; mean: number };
  gc: { count: number; totalMs: number; maxMs: number; share: number; byKind: Record<string, unknown> };
}

const hardStop = setTimeout(
  () => {
    console.error(`load: still running ${SECONDS + 120} s after start: giving up`);
    process.exit(2);
  },
  (SECONDS + 120) * 1000,
);
hardStop.unref();

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function main() {
  const started = Date.now();
  const machine = machineSampler();
  const database = await createTestDatabase();
  const windowDir = mkdtempSync(path.join(os.tmpdir(), 'parley-load-window-'));
  const gw = await gatewayAsProcess({
    NODE_OPTIONS: `--import=${pathToFileURL(path.join(import.meta.dirname, 'lib/window-probe.mjs')).href}`,
    BENCH_WINDOW_DIR: windowDir,
    BENCH_WINDOW_PROFILE: PROFILE ? '1' : '0',
    NODE_ENV,
    LOG_LEVEL,
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `parley-load:${randomBytes(4).toString('hex')}:`,
    SESSION_SECRET: 'load-session-secret-0123456789abcdefghijkl',
    INGEST_SECRET: 'load-ingest-secret-0123456789abcdefghijklm',
    // Not the development key pair, which NODE_ENV=production refuses (no LiveKit is contacted).
    LIVEKIT_API_KEY: 'parley-load',
    LIVEKIT_API_SECRET: 'load-livekit-secret-0123456789abcdefghijk',
    LIVEKIT_URL: 'ws://127.0.0.1:1',
    RATE_LIMIT_LOGIN_PER_IP: '1000000',
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000000',
    STT_PROVIDER: 'local',
    LLM_PROVIDER: 'offline',
    TTS_PROVIDER: 'local',
  });
  try {
    await gw.start();
    const pid = gw.process.pid!;
    // Accounts with a session each and a page of history each.
    const users: Array<{ email: string; cookie: string; id: string }> = [];
    for (let i = 0; i < USERS; i++) {
      const c = new TestClient(gw.url);
      const email = `load-${i}-${randomBytes(3).toString('hex')}@example.test`;
      const r = await c.post('/api/auth/register', { email, password: PASSWORD, displayName: `Load ${i}` });
      if (r.status !== 201) throw new Error(`register: ${r.status} ${r.text}`);
      users.push({ email, cookie: c.cookieHeader(), id: r.body.user.id });
    }
    // The hashing the gateway really used, read from a stored hash (not assumed from NODE_ENV).
    const stored: string = (await database.db('users').where({ id: users[0]!.id }).first('password_hash'))
      .password_hash;
    if (needsRehash(stored, hashParams))
      throw new Error(`load: the gateway did not hash with ${describePasswordHashing(hashParams)}`);
    const now = Date.now();
    await database.db('conversations').insert(
      users.flatMap((u) =>
        Array.from({ length: 25 }, (_, k) => ({
          id: randomUUID(),
          user_id: u.id,
          room: `load-${randomUUID()}`,
          status: 'ended',
          created_at: new Date(now - k * 3_600_000),
          turn_count: 0,
        })),
      ),
    );

    // Every request from a distinct X-Forwarded-For address (trusted from loopback): the per-IP
    // limits are not what this run measures. Requests rotate over the accounts; 20 calls per
    // account per 10 min is the product's limit, so calls are spread over them.
    let n = 0;
    const origin = gw.url;
    const as = (make: (u: (typeof users)[number]) => OpenLoopRequest) => {
      let k = 0; // each scenario goes round the accounts in turn
      return (): OpenLoopRequest => {
        const i = n++;
        const r = make(users[k++ % users.length]!);
        const xff = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        return { ...r, headers: { ...r.headers, 'x-forwarded-for': xff } };
      };
    };
    const json = { origin, 'content-type': 'application/json' };
    const scenarios: Record<keyof typeof RATES, () => OpenLoopRequest> = {
      login: as((u) => ({
        method: 'POST',
        path: '/api/auth/login',
        headers: json,
        body: JSON.stringify({ email: u.email, password: PASSWORD }),
      })),
      me: as((u) => ({ method: 'GET', path: '/api/auth/me', headers: { cookie: u.cookie } })),
      calls: as((u) => ({ method: 'POST', path: '/api/calls', headers: { ...json, cookie: u.cookie }, body: '{}' })),
      history: as((u) => ({ method: 'GET', path: '/api/conversations?limit=20', headers: { cookie: u.cookie } })),
    };
    const names = Object.keys(RATES) as Array<keyof typeof RATES>;
    /** Every scenario at once, each its own Poisson stream and connections, from one start. */
    const mix = async (seconds: number, seed: number) => {
      const startAt = performance.now() + 20;
      const results = await Promise.all(
        names.map((name, k) =>
          openLoop({
            url: gw.url,
            rate: RATES[name] * SCALE,
            seconds,
            seed: seed + k,
            connections: CONNECTIONS,
            timeoutMs: 10_000,
            request: scenarios[name],
            startAt,
          }),
        ),
      );
      return Object.fromEntries(names.map((name, k) => [name, results[k]!])) as Record<
        keyof typeof RATES,
        OpenLoopResult
      >;
    };

    const rss: Array<{ t: number; mb: number }> = [{ t: 0, mb: rssMb(pid) }];
    // Warm-up with the same mix (JIT, connection pools, lazily loaded code), then the RSS baseline.
    const warm = await mix(WARMUP_SECONDS, 1000);
    const warmErrors = names.reduce((s, k) => s + warm[k].errors, 0);
    if (warmErrors)
      throw new Error(`load: ${warmErrors} errors in the warm-up: ${JSON.stringify(warm.login.failures)}`);
    const rssBefore = rssMb(pid);
    console.log(
      `load: ${SECONDS} s at ${names.map((k) => `${k} ${RATES[k] * SCALE}/s`).join(', ')} (Poisson arrivals, ` +
        `${CONNECTIONS} connections each) after ${WARMUP_SECONDS} s of warm-up; ${HASHING} password hashing ` +
        `(${describePasswordHashing(hashParams)}); gateway RSS ${rssBefore} MB`,
    );
    process.kill(pid, 'SIGUSR2'); // the gateway's window starts
    await new Promise((r) => setTimeout(r, 200));
    const driverDelay = monitorEventLoopDelay({ resolution: 10 });
    driverDelay.enable();
    const t0 = Date.now();
    const sampler = setInterval(() => rss.push({ t: Math.round((Date.now() - t0) / 1000), mb: rssMb(pid) }), 5000);
    const runs = await mix(SECONDS, 1);
    clearInterval(sampler);
    driverDelay.disable();
    process.kill(pid, 'SIGUSR2'); // … and ends
    const windowFile = path.join(windowDir, `${pid}.window.json`);
    for (let i = 0; i < 300 && !existsSync(windowFile); i++) await new Promise((r) => setTimeout(r, 100));
    const gateway = JSON.parse(readFileSync(windowFile, 'utf8')) as GatewayWindow;
    const profile = PROFILE ? summarizeProfiles(windowDir, String(pid), 25) : null;
    await new Promise((r) => setTimeout(r, 3000)); // let in-flight work settle
    const rssAfter = rssMb(pid);
    rss.push({ t: Math.round((Date.now() - t0) / 1000), mb: rssAfter });

    const per: Record<string, unknown> = {};
    const samples: Record<string, Array<[number, number]>> = {};
    const figures: Figure[] = [];
    for (const name of names) {
      const r = runs[name];
      const s = summarize(r.samples.map((x) => x[1]));
      per[name] = {
        due: r.due,
        answered: r.samples.length,
        ...s,
        errors: r.errors,
        status: r.status,
        failures: r.failures,
      };
      samples[name] = r.samples;
      figures.push(
        { name: `${name} p50`, value: round(s.p50, 1), unit: 'ms' },
        { name: `${name} p99`, value: round(s.p99, 1), unit: 'ms', target: { op: '<=', value: 250 } },
        {
          name: `${name} errors`,
          value: r.errors,
          unit: '',
          target: { op: '<=', value: 0 },
          note: `${r.due} requests; status ${JSON.stringify(r.status)}; max ${round(s.max, 1)} ms`,
        },
      );
    }
    const rssMax = Math.max(...rss.map((x) => x.mb));
    // Time between the 10 ms timer's turns, less the 10 ms: the delay.
    const ms = (ns: number) => Math.max(0, round(ns / 1e6 - 10, 1));
    figures.push(
      {
        name: 'gateway CPU',
        value: gateway.cpu.cores,
        unit: 'cores',
        note: `measured window; GC ${gateway.gc.totalMs} ms (${gateway.gc.count} pauses, longest ${gateway.gc.maxMs} ms)`,
      },
      {
        name: 'gateway event-loop delay p99',
        value: gateway.eventLoopDelay.p99,
        unit: 'ms',
        note: `max ${gateway.eventLoopDelay.max} ms; load driver's own p99 ${ms(driverDelay.percentile(99))} ms`,
      },
      { name: 'gateway RSS before', value: rssBefore, unit: 'MB' },
      {
        name: 'gateway RSS after',
        value: rssAfter,
        unit: 'MB',
        target: { op: '<=', value: Math.round(rssBefore * 1.5) },
        note: `max ${rssMax} MB during the run`,
      },
    );
    printFigures('gateway load', figures);
    if (profile) {
      console.log('gateway CPU profile, measured window only (self time, idle excluded):');
      console.table(profile.buckets);
      console.table(profile.hotSpots);
    }
    writeResult({
      benchmark: PROFILE ? 'load-profile' : 'load',
      date: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      settings: {
        seconds: SECONDS,
        warmupSeconds: WARMUP_SECONDS,
        scale: SCALE,
        rates: Object.fromEntries(names.map((k) => [k, RATES[k] * SCALE])),
        arrivals: `Poisson (open loop), seeds 1-${names.length}; latency from the moment a request fell due`,
        connectionsPerScenario: CONNECTIONS,
        users: USERS,
        passwordHashing: `${HASHING} (gateway NODE_ENV=${NODE_ENV}): ${describePasswordHashing(hashParams)}`,
        gatewayLogLevel: LOG_LEVEL,
        profiled: PROFILE,
      },
      machine: machine.finish(),
      figures,
      data: {
        scenarios: per,
        gateway,
        driverEventLoopDelayP99Ms: ms(driverDelay.percentile(99)),
        rss,
        ...(profile ? { profile } : {}),
        /** [ms into the window at which the request fell due, latency ms] per scenario. */
        samples,
      },
      notes: [
        'Gateway as its own process on loopback; Postgres and Redis shared with the machine; every request from a distinct X-Forwarded-For address.',
        'The load driver runs on the same 2 cores as the gateway, Postgres and Redis.',
      ],
    });
  } finally {
    await gw.kill('SIGTERM');
    await database.drop();
    rmSync(windowDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
