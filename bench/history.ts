// History benchmark (issue 6 / issue 10): seeds 100,000 utterances for one user (plus 900,000 for
// other users with --full), then measures list, deep keyset page, search (rare, common, two-word)
// and one 500-turn conversation (its first page, and every turn at once), at the database (the
// repository functions) and through the HTTP API with a session cookie. Prints p50/p95 and writes bench/results/history.json.
//   node --import tsx bench/history.ts [--full] [--iterations=300]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRepositories, type Database, type KeysetPosition } from '@parley/db';
import { createTestDatabase, startTestGateway, TestClient } from '@parley/testkit';
import { hashPassword, TEST_PARAMS } from '@parley/gateway/passwords';
import { seedHistory, WORDS, RARE_HITS } from './history-seed';

const args = process.argv.slice(2);
const FULL = args.includes('--full');
const ITERATIONS = Number(args.find((a) => a.startsWith('--iterations='))?.split('=')[1] ?? 300);
const WARMUP = 30;
const TARGETS = { dbP95Ms: 2, apiP95Ms: 20 };
/** Turns per request of the web client's conversation page (TRANSCRIPT_PAGE in web/src/api/conversations.ts). */
const TRANSCRIPT_PAGE = 100;

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function measure(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(percentile(times, 50)), p95: r(percentile(times, 95)), max: r(times.at(-1)!) };
}

/** pg_stat_bgwriter's checkpoint counters: whether a checkpoint wrote during the measurement. */
async function checkpoints(db: Database): Promise<{ checkpoints: number; buffers: number }> {
  const r = (
    await db.raw(
      'SELECT (checkpoints_timed + checkpoints_req)::int AS checkpoints, buffers_checkpoint::int AS buffers FROM pg_stat_bgwriter',
    )
  ).rows[0];
  return { checkpoints: r.checkpoints, buffers: r.buffers };
}

async function main() {
  const started = Date.now();
  const round = (x: number) => Math.round(x * 100) / 100;
  const loadAtStart = os.loadavg().map(round);
  let maxLoad1m = loadAtStart[0]!;
  const loadSampler = setInterval(() => (maxLoad1m = Math.max(maxLoad1m, round(os.loadavg()[0]!))), 1000);
  const database = await createTestDatabase();
  let gw: Awaited<ReturnType<typeof startTestGateway>> | undefined;
  try {
    const db: Database = database.db;
    const password = 'bench password that is long enough 9';
    const email = 'bench@bench.test';
    console.log(`seeding ${FULL ? '1,000,000' : '100,000'} utterances…`);
    const t0 = Date.now();
    const plan = await seedHistory(db, {
      email,
      passwordHash: await hashPassword(password, TEST_PARAMS),
      others: FULL ? 900_000 : 0,
    });
    const seedMs = Date.now() - t0;
    const counts = (
      await db.raw(
        `SELECT (SELECT count(*) FROM utterances)::int AS total, (SELECT count(*) FROM utterances WHERE user_id = ?)::int AS mine, (SELECT count(*) FROM conversations WHERE user_id = ?)::int AS conversations`,
        [plan.userId, plan.userId],
      )
    ).rows[0];
    console.log(
      `seeded in ${(seedMs / 1000).toFixed(1)} s: ${counts.total} utterances, ${counts.mine} for the measured user in ${counts.conversations} conversations`,
    );

    // A deep page: the position 4,000 conversations down the list.
    const deep = (
      await db.raw(
        `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "createdAt", id FROM conversations WHERE user_id = ? ORDER BY created_at DESC, id DESC OFFSET 4000 LIMIT 1`,
        [plan.userId],
      )
    ).rows[0];
    const userId = plan.userId;
    const repos = createRepositories(db);
    const list = (q?: string, after?: KeysetPosition) => repos.history.list({ userId, limit: 20, q, after });

    // Sanity: what each scenario returns.
    const rare = await repos.history.list({ userId, limit: 50, q: WORDS.rare });
    if (rare.rows.length !== RARE_HITS) throw new Error(`rare search found ${rare.rows.length}, expected ${RARE_HITS}`);
    if ((await list(WORDS.common)).rows.length !== 20) throw new Error('common search did not fill a page');
    // The two-word search goes through the per-bucket term index (migration 016); each word quoted
    // is the same tsquery through the tsv index: both must list the same conversations.
    const [two, twoQuoted] = [await list(WORDS.twoWord), await list(WORDS.twoWord.replace(/(\S+)/g, '"$1"'))];
    if (two.rows.length === 0 || JSON.stringify(two) !== JSON.stringify(twoQuoted))
      throw new Error('two-word search differs between the term index and the tsv index');

    const scenarios: Array<[string, () => Promise<unknown>, string]> = [
      ['list first page', () => list(), '/api/conversations?limit=20'],
      ['list deep keyset page (4,000 down)', () => list(undefined, deep), ''],
      [`search rare "${WORDS.rare}"`, () => list(WORDS.rare), `/api/conversations?limit=20&q=${WORDS.rare}`],
      [`search common "${WORDS.common}"`, () => list(WORDS.common), `/api/conversations?limit=20&q=${WORDS.common}`],
      [
        `search two words "${WORDS.twoWord}"`,
        () => list(WORDS.twoWord),
        `/api/conversations?limit=20&q=${encodeURIComponent(WORDS.twoWord)}`,
      ],
      [
        // What the conversation page asks first (web/src/api/conversations.ts); the rest follow in
        // pages of the same size. The gateway reads one turn more to tell whether a page follows.
        `500-turn conversation, first page (${TRANSCRIPT_PAGE} turns)`,
        async () => {
          await repos.conversations.findOwned(userId, plan.longConversationId);
          await repos.utterances.list(plan.longConversationId, TRANSCRIPT_PAGE + 1);
        },
        `/api/conversations/${plan.longConversationId}?limit=${TRANSCRIPT_PAGE}`,
      ],
      [
        '500-turn conversation, every turn in one answer',
        async () => {
          await repos.conversations.findOwned(userId, plan.longConversationId);
          await repos.utterances.list(plan.longConversationId);
        },
        `/api/conversations/${plan.longConversationId}`,
      ],
    ];

    gw = await startTestGateway({ database, env: { LOG_LEVEL: 'warn' } });
    const client = new TestClient(gw.url);
    const login = await client.post('/api/auth/login', { email, password });
    if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
    // The deep page through the API: follow cursors to the 4,000th conversation's page.
    let cursor: string | null = null;
    for (let i = 0; i < 200; i++)
      cursor = (await client.get(`/api/conversations?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`))
        .body.nextCursor;
    scenarios[1]![2] = `/api/conversations?limit=20&cursor=${encodeURIComponent(cursor!)}`;

    const checkpointsBefore = await checkpoints(db);
    const results: Array<{ scenario: string; db: object; api: object }> = [];
    for (const [name, dbFn, apiPath] of scenarios) {
      const dbr = await measure(dbFn);
      const apir = await measure(async () => {
        const r = await client.get(apiPath);
        if (r.status !== 200) throw new Error(`${apiPath} → ${r.status}`);
      });
      results.push({ scenario: name, db: dbr, api: apir });
    }

    const checkpointsAfter = await checkpoints(db);
    const rows = results.map((r: any) => ({
      scenario: r.scenario,
      'db p50 ms': r.db.p50,
      'db p95 ms': r.db.p95,
      'api p50 ms': r.api.p50,
      'api p95 ms': r.api.p95,
      'db ok': r.db.p95 <= TARGETS.dbP95Ms ? 'yes' : 'NO',
      'api ok': r.api.p95 <= TARGETS.apiP95Ms ? 'yes' : 'NO',
    }));
    console.table(rows);
    const out = {
      benchmark: 'history',
      date: new Date().toISOString(),
      settings: { full: FULL, iterations: ITERATIONS, warmup: WARMUP, pageSize: 20, words: WORDS, rareHits: RARE_HITS },
      targets: TARGETS,
      seed: {
        utterances: counts.total,
        userUtterances: counts.mine,
        userConversations: counts.conversations,
        seconds: seedMs / 1000,
      },
      results,
      /** Checkpoints that ran while the scenarios were measured (the seed ends with one). */
      checkpointsDuringMeasurement: {
        count: checkpointsAfter.checkpoints - checkpointsBefore.checkpoints,
        buffersWritten: checkpointsAfter.buffers - checkpointsBefore.buffers,
      },
      machine: {
        loadAverage: { start: loadAtStart, end: os.loadavg().map(round), max1m: maxLoad1m },
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model,
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        postgres: (await db.raw('SHOW server_version')).rows[0].server_version,
      },
      durationSeconds: (Date.now() - started) / 1000,
    };
    const dir = path.join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'history.json'), `${JSON.stringify(out, null, 2)}\n`);
    console.log(`wrote bench/results/history.json (${out.durationSeconds.toFixed(0)} s)`);
  } finally {
    clearInterval(loadSampler);
    if (gw) await gw.close();
    await database.drop();
  }
}

await main();
process.exit(0);
