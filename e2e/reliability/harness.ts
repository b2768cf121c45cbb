/**
 * A fault-injection stack: the same parts as testkit's startStack (provider fakes, LiveKit server
 * with webhooks, in-process gateway, the real agent worker process), but with the dependencies the
 * fault tests break owned by the test: Postgres reached through a pausable TCP proxy, a private
 * redis-server that can be killed and restarted, and a LiveKit server restartable on its ports.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase } from '@parley/db';
import { freePort, startLivekitServer, type RunningLivekitServer } from '@parley/tools';
import {
  createTestDatabase,
  spawnAgentWorker,
  startFakeCartesia,
  startFakeDeepgram,
  startFakeOpenAI,
  startTestGateway,
  synthesizeSpeechWav,
  TEST_INGEST_SECRET,
  TEST_PG_ADMIN_URL,
  TestClient,
  type AgentWorkerProcess,
  type FakeDeepgramOptions,
  type FakeOpenAIOptions,
  type TestDatabase,
  type TestGateway,
} from '@parley/testkit';
import { waitForAgentState, type Caller } from '@parley/testkit/caller';
import { OwnRedis, TcpProxy } from '@parley/testkit/services';
import { recordFault } from '@parley/testkit/fault-record';

export { OwnRedis, TcpProxy };
import { fakeProviderEnv } from '@parley/testkit/stack';

export interface FaultStack {
  gateway: TestGateway;
  database: TestDatabase;
  livekit: RunningLivekitServer;
  worker: AgentWorkerProcess;
  fakes: {
    deepgram: Awaited<ReturnType<typeof startFakeDeepgram>>;
    openai: Awaited<ReturnType<typeof startFakeOpenAI>>;
  };
  pgProxy: TcpProxy | null;
  redis: OwnRedis | null;
  client(): TestClient;
  /** Stops the LiveKit server and starts it again on the same ports, keys and webhook. */
  restartLivekit(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startFaultStack(opts: {
  pgProxy?: boolean;
  ownRedis?: boolean;
  deepgram?: FakeDeepgramOptions;
  openai?: FakeOpenAIOptions;
}): Promise<FaultStack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const [deepgram, openai, cartesia] = await Promise.all([
      startFakeDeepgram(opts.deepgram),
      startFakeOpenAI(opts.openai),
      startFakeCartesia(),
    ]);
    cleanups.push(
      () => deepgram.close(),
      () => openai.close(),
      () => cartesia.close(),
    );
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());

    let gatewayDb = database;
    let pgProxy: TcpProxy | null = null;
    if (opts.pgProxy) {
      const admin = new URL(TEST_PG_ADMIN_URL);
      pgProxy = new TcpProxy(admin.hostname, Number(admin.port || 5432));
      await pgProxy.listen();
      const proxied = new URL(database.url);
      proxied.port = String(pgProxy.port);
      const db = createDatabase({ url: proxied.toString(), poolMax: 5 });
      gatewayDb = { ...database, url: proxied.toString(), db, drop: async () => undefined };
      const p = pgProxy;
      cleanups.push(
        () => p.close(),
        () => db.destroy(),
      );
    }
    let redis: OwnRedis | null = null;
    if (opts.ownRedis) {
      redis = new OwnRedis(await freePort());
      await redis.start();
      const r = redis;
      cleanups.push(() => r.kill());
    }

    const lkPort = await freePort();
    const rtcTcpPort = await freePort();
    const udpPortStart = 40000 + Math.floor(Math.random() * 1000) * 20;
    const lkSecret = `lk-secret-${randomBytes(16).toString('hex')}`;
    const env: Record<string, string> = {
      LIVEKIT_URL: `ws://127.0.0.1:${lkPort}`,
      LIVEKIT_API_KEY: 'devkey',
      LIVEKIT_API_SECRET: lkSecret,
      AGENT_NAME: `parley-fault-${randomUUID().slice(0, 8)}`,
      INGEST_SECRET: TEST_INGEST_SECRET,
      ...fakeProviderEnv({ deepgram, openai, cartesia }),
    };
    const gateway = await startTestGateway({
      database: gatewayDb,
      env: { ...env, RATE_LIMIT_LOGIN_PER_IP: '1000', ...(redis ? { REDIS_URL: redis.url } : {}) },
    });
    cleanups.push(() => gateway.close());

    const lkOptions = {
      port: lkPort,
      rtcTcpPort,
      udpPortStart,
      apiKey: 'devkey',
      apiSecret: lkSecret,
      webhookUrls: [`${gateway.url}/internal/livekit/webhook`],
    };
    let livekit = await startLivekitServer(lkOptions);
    cleanups.push(() => livekit.stop());

    const spoolDir = mkdtempSync(path.join(os.tmpdir(), 'parley-fault-spool-'));
    cleanups.push(async () => rmSync(spoolDir, { recursive: true, force: true }));
    const worker = await spawnAgentWorker({ ...env, GATEWAY_URL: gateway.url, AGENT_SPOOL_DIR: spoolDir });
    cleanups.push(() => worker.stop('SIGTERM'));
    await worker.waitUntilRegistered(60_000);

    return {
      gateway,
      database,
      get livekit() {
        return livekit;
      },
      worker,
      fakes: { deepgram, openai },
      pgProxy,
      redis,
      client: () => new TestClient(gateway.url),
      async restartLivekit(downMs = 1000) {
        await livekit.stop();
        await new Promise((r) => setTimeout(r, downMs));
        livekit = await startLivekitServer(lkOptions);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function speech(texts: string[]) {
  return (await Promise.all(texts.map((t) => synthesizeSpeechWav(t, { sampleRate: 48000 })))).map((s) => s.pcm);
}

/** One caller turn: speak, hear the agent's reply start and finish, agent listening again. */
export async function turn(caller: Caller, pcm: Int16Array, timeoutMs = 20_000) {
  const { endedAt } = await caller.say(pcm);
  const first = await caller.agentAudio.firstVoicedAfter(endedAt, timeoutMs);
  await caller.agentAudio.silentFor(700, first);
  await waitForAgentState(caller, 'listening', timeoutMs);
  return first;
}

export async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(probe)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function registerCaller(client: TestClient) {
  const email = `fault-${randomBytes(5).toString('hex')}@example.com`;
  const r = await client.post('/api/auth/register', {
    email,
    password: 'correct horse battery staple 42',
    displayName: 'Caller',
  });
  if (r.status !== 201) throw new Error(`register answered ${r.status}: ${r.text}`);
  return { id: r.body.user.id as string, email };
}

/**
 * The invariant after every fault: the stored utterances are exactly what the caller spoke (the
 * fake STT's finals, in order) and heard (greeting + one scripted reply per turn), seqs 0..n-1
 * with no gap and no duplicate.
 */
export async function storedUtterances(db: TestDatabase, conversationId: string) {
  return db.db('utterances').where({ conversation_id: conversationId }).orderBy('seq').select('seq', 'role', 'text');
}

const occurrences = (hay: string, needle: string) => hay.split(needle).length - 1;

/**
 * The invariant after every fault, recorded for docs/reliability.md (test-results/faults-<suite>.json)
 * and returned for assertions. `spoken` is what the fake STT transcribed during this call (what the
 * caller said); the agent said the greeting and one scripted reply per stored user turn. Under CPU
 * starvation the fake STT may split one spoken sentence into two finals that the agent commits as
 * one user turn, so user text is compared as one joined string, not turn by turn.
 */
export function checkUtterances(
  suite: string,
  fault: string,
  rows: Array<{ seq: number; role: string; text: string }>,
  spoken: string[],
  greeting: string,
  reply: (n: number) => string,
  turns: number,
  extra: Record<string, unknown> = {},
) {
  const user = rows.filter((r) => r.role === 'user').map((r) => r.text);
  const agent = rows.filter((r) => r.role === 'agent').map((r) => r.text);
  const expectedAgent = [greeting, ...user.map((_, i) => reply(i + 1))];
  const userJoined = user.join(' ');
  const lostUser = spoken.filter((t) => occurrences(userJoined, t) === 0).length;
  const dupUser = spoken.filter((t) => occurrences(userJoined, t) > occurrences(spoken.join(' '), t)).length;
  const lostAgent = expectedAgent.filter((t, i) => agent[i] !== t).length;
  const dupAgent = Math.max(0, agent.length - expectedAgent.length);
  const result = {
    seqs: rows.map((r) => r.seq),
    userText: userJoined,
    spokenText: spoken.join(' '),
    agentText: agent,
    expectedAgentText: expectedAgent,
    lost: lostUser + lostAgent,
    duplicated: dupUser + dupAgent + (rows.length - new Set(rows.map((r) => r.seq)).size),
  };
  recordFault({
    fault,
    file: `e2e/reliability/${suite}-faults.test.ts`,
    inFlight: 'not asserted: injected after the utterances before it were stored',
    outcome: String(extra.outcome ?? 'see the test'),
    expected: 1 + spoken.length + user.length,
    stored: rows.length,
    lost: result.lost,
    duplicated: result.duplicated,
    live: null,
  });
  return result;
}

/** Asserts checkUtterances' result: seqs 0..n-1, what was said and heard, nothing lost or doubled. */
export function expectUtterancesIntact(r: ReturnType<typeof checkUtterances>, expect: (v: unknown) => any) {
  expect(r.seqs).toEqual(r.seqs.map((_, i) => i));
  expect(r.userText).toBe(r.spokenText);
  expect(r.agentText).toEqual(r.expectedAgentText);
  expect({ lost: r.lost, duplicated: r.duplicated }).toEqual({ lost: 0, duplicated: 0 });
}
