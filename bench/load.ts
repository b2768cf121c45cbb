// Gateway load run (issue 11): login, me, call set-up (POST /api/calls: token creation with agent
// dispatch; no LiveKit contact needed) and history at steady rates on loopback with autocannon,
// against the gateway as its own process (so its RSS is its own), real Postgres and Redis.
// Reports p50/p99 and errors per scenario and the gateway's RSS before/during/after; bounded
// (hard stop at duration + 90 s) and self-cleaning. Writes bench/results/load.json.
//   npm run bench -- load [--seconds=60] [--scale=1] [--hashing=production|test]
//   (or: node --import tsx bench/load.ts …)
// --scale multiplies every rate (1 = login 5/s, me 40/s, calls 5/s, history 20/s).
// --hashing: production (default) runs the gateway with NODE_ENV=production, so login verifies
// with the production password hashing; test runs it with NODE_ENV=test (the cheap parameters the
// test suites use). Which one ran, and the parameters a stored hash showed, go to the settings.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createTestDatabase, TEST_REDIS_URL, TestClient } from '@parley/testkit';
import { gatewayAsProcess } from '@parley/testkit/stack';
import { describePasswordHashing, needsRehash, passwordParams } from '@parley/gateway/passwords';
import { machineSampler } from './lib/machine';
import { printFigures, writeResult, type Figure } from './lib/report';

interface AutocannonResult {
  latency: { p50: number; p99: number; max: number; average: number };
  requests: { total: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult> & { stop?: () => void };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

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

const hardStop = setTimeout(
  () => {
    console.error(`load: still running ${SECONDS + 90} s after start: giving up`);
    process.exit(2);
  },
  (SECONDS + 90) * 1000,
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
  const gw = await gatewayAsProcess({
    NODE_ENV,
    LOG_LEVEL: 'warn',
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

    let n = 0;
    const rotate =
      (make: (u: (typeof users)[number], i: number) => Partial<AutocannonRequest>) => (req: AutocannonRequest) => {
        const i = n++;
        const u = users[i % users.length]!;
        // A distinct client IP per request (X-Forwarded-For from loopback is trusted): the per-IP
        // limits are not what this run measures.
        const headers = { ...req.headers, 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
        const extra = make(u, i);
        return { ...req, ...extra, headers: { ...headers, ...extra.headers } };
      };
    const origin = gw.url;
    const scenarios: Record<keyof typeof RATES, AutocannonRequest> = {
      login: {
        method: 'POST',
        path: '/api/auth/login',
        setupRequest: rotate((u) => ({
          headers: { origin, 'content-type': 'application/json' },
          body: JSON.stringify({ email: u.email, password: PASSWORD }),
        })),
      },
      me: { method: 'GET', path: '/api/auth/me', setupRequest: rotate((u) => ({ headers: { cookie: u.cookie } })) },
      calls: {
        method: 'POST',
        path: '/api/calls',
        // 20 calls per account per 10 min is the product's limit: spread calls over the accounts.
        setupRequest: rotate((u) => ({
          headers: { cookie: u.cookie, origin, 'content-type': 'application/json' },
          body: '{}',
        })),
      },
      history: {
        method: 'GET',
        path: '/api/conversations?limit=20',
        setupRequest: rotate((u) => ({ headers: { cookie: u.cookie } })),
      },
    };

    const rss: Array<{ t: number; mb: number }> = [{ t: 0, mb: rssMb(pid) }];
    // Warm-up (JIT, pools), then the RSS baseline.
    await autocannon({
      url: gw.url,
      connections: 4,
      duration: 3,
      overallRate: 40,
      requests: [scenarios.me],
      timeout: 10,
    });
    const rssBefore = rssMb(pid);
    const t0 = Date.now();
    const sampler = setInterval(() => rss.push({ t: Math.round((Date.now() - t0) / 1000), mb: rssMb(pid) }), 5000);
    console.log(
      `load: ${SECONDS} s at ${Object.entries(RATES)
        .map(([k, v]) => `${k} ${v * SCALE}/s`)
        .join(
          ', ',
        )}; ${HASHING} password hashing (${describePasswordHashing(hashParams)}); gateway RSS ${rssBefore} MB`,
    );
    const runs = await Promise.all(
      (Object.keys(RATES) as Array<keyof typeof RATES>).map(async (name) => {
        const rate = Math.max(1, Math.round(RATES[name] * SCALE));
        const r = await autocannon({
          url: gw.url,
          connections: Math.min(10, rate),
          duration: SECONDS,
          overallRate: rate,
          requests: [scenarios[name]],
          timeout: 10,
        });
        return [name, r] as const;
      }),
    );
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 3000)); // let in-flight work settle
    const rssAfter = rssMb(pid);
    rss.push({ t: Math.round((Date.now() - t0) / 1000), mb: rssAfter });

    const per: Record<string, unknown> = {};
    const figures: Figure[] = [];
    for (const [name, r] of runs) {
      const status = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
      const errors = r.errors + r.timeouts + r.non2xx;
      per[name] = {
        requests: r.requests.total,
        perSecond: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        max: r.latency.max,
        errors,
        status,
      };
      figures.push(
        { name: `${name} p50`, value: r.latency.p50, unit: 'ms' },
        { name: `${name} p99`, value: r.latency.p99, unit: 'ms', target: { op: '<=', value: 250 } },
        {
          name: `${name} errors`,
          value: errors,
          unit: '',
          target: { op: '<=', value: 0 },
          note: `${r.requests.total} requests; status ${JSON.stringify(status)}`,
        },
      );
    }
    const rssMax = Math.max(...rss.map((x) => x.mb));
    figures.push(
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
    writeResult({
      benchmark: 'load',
      date: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      settings: {
        seconds: SECONDS,
        scale: SCALE,
        rates: Object.fromEntries(Object.entries(RATES).map(([k, v]) => [k, v * SCALE])),
        users: USERS,
        passwordHashing: `${HASHING} (gateway NODE_ENV=${NODE_ENV}): ${describePasswordHashing(hashParams)}`,
      },
      machine: machine.finish(),
      figures,
      data: { scenarios: per, rss },
      notes: [
        'Gateway as its own process on loopback; Postgres and Redis shared with the machine; every request from a distinct X-Forwarded-For address.',
      ],
    });
  } finally {
    await gw.kill('SIGTERM');
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
