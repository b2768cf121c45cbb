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
import { freeStablePort, startLivekitServer, type RunningLivekitServer } from '@parley/tools';
import {
  createTestDatabase,
  spawnAgentWorker,
  startIngestGate,
  startFakeCartesia,
  startFakeDeepgram,
  startFakeOpenAI,
  startTestGateway,
  synthesizeSpeechWav,
  TEST_INGEST_SECRET,
  TEST_PG_ADMIN_URL,
  TestClient,
  type AgentWorkerProcess,
  type FakeDeepgram,
  type FakeDeepgramOptions,
  type FakeOpenAI,
  type IngestGate,
  type FakeOpenAIOptions,
  type TestDatabase,
  TEST_REDIS_URL,
} from '@parley/testkit';
import { waitForAgentState, type Caller } from '@parley/testkit/caller';
import { OwnRedis, TcpProxy } from '@parley/testkit/services';
import { recordFault } from '@parley/testkit/fault-record';

export { OwnRedis, TcpProxy };
import { fakeProviderEnv, gatewayAsProcess, type GatewayProcess } from '@parley/testkit/stack';
import { greetingFor } from '@parley/agent/agent';
import type { ServerMessage } from '@parley/protocol';

export interface FaultStack {
  /** The gateway's URL (stable across a restart of a process gateway). */
  gatewayUrl: string;
  /** Set with `gateway: 'process'`: SIGKILL it, start it again on the same port. */
  gatewayProcess: GatewayProcess | null;
  database: TestDatabase;
  livekit: RunningLivekitServer;
  worker: AgentWorkerProcess;
  fakes: { deepgram: FakeDeepgram; openai: FakeOpenAI };
  /** Between the agent and the gateway: holds utterance batches to prove they are in flight. */
  gate: IngestGate;
  pgProxy: TcpProxy | null;
  redis: OwnRedis | null;
  client(): TestClient;
  /** Stops the LiveKit server and starts it again on the same ports, keys and webhook. */
  /** Stops the LiveKit server, runs `whileDown` once it is gone, starts it again after `downMs`. */
  restartLivekit(downMs?: number, whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export async function startFaultStack(opts: {
  gateway?: 'in-process' | 'process';
  pgProxy?: boolean;
  ownRedis?: boolean;
  deepgram?: FakeDeepgramOptions;
  openai?: FakeOpenAIOptions;
  /** LiveKit UDP media ports (default 20: a few calls). */
  livekitUdpPorts?: number;
}): Promise<FaultStack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const [deepgram, openai, cartesia] = await Promise.all([
      // 450 ms endpointing as in testkit's startStack: a starved plugin must not split a sentence.
      startFakeDeepgram({ endpointSilenceMs: 450, ...opts.deepgram }),
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
      redis = new OwnRedis(await freeStablePort());
      await redis.start();
      const r = redis;
      cleanups.push(() => r.kill());
    }

    const lkPort = await freeStablePort();
    const rtcTcpPort = await freeStablePort();
    const udpPortStart = 40000 + Math.floor(Math.random() * 100) * 200;
    const lkSecret = `lk-secret-${randomBytes(16).toString('hex')}`;
    const env: Record<string, string> = {
      LIVEKIT_URL: `ws://127.0.0.1:${lkPort}`,
      LIVEKIT_API_KEY: 'devkey',
      LIVEKIT_API_SECRET: lkSecret,
      AGENT_NAME: `parley-fault-${randomUUID().slice(0, 8)}`,
      INGEST_SECRET: TEST_INGEST_SECRET,
      ...fakeProviderEnv({ deepgram, openai, cartesia }),
    };
    let gatewayUrl: string;
    let gatewayProcess: GatewayProcess | null = null;
    if (opts.gateway === 'process') {
      gatewayProcess = await gatewayAsProcess({
        ...env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: gatewayDb.url,
        REDIS_URL: redis?.url ?? TEST_REDIS_URL,
        REDIS_PREFIX: `parley-fault:${randomBytes(4).toString('hex')}:`,
        SESSION_SECRET: 'test-session-secret-0123456789abcdefghijkl',
        RATE_LIMIT_LOGIN_PER_IP: '1000',
      });
      await gatewayProcess.start();
      const gp = gatewayProcess;
      cleanups.push(() => gp.kill('SIGTERM'));
      gatewayUrl = gp.url;
    } else {
      const gateway = await startTestGateway({
        database: gatewayDb,
        env: { ...env, RATE_LIMIT_LOGIN_PER_IP: '1000', ...(redis ? { REDIS_URL: redis.url } : {}) },
      });
      cleanups.push(() => gateway.close());
      gatewayUrl = gateway.url;
    }
    const gate = await startIngestGate(gatewayUrl);
    cleanups.push(() => gate.close());

    const lkOptions = {
      port: lkPort,
      rtcTcpPort,
      udpPortStart,
      udpPortCount: opts.livekitUdpPorts ?? 20,
      apiKey: 'devkey',
      apiSecret: lkSecret,
      webhookUrls: [`${gatewayUrl}/internal/livekit/webhook`],
    };
    let livekit = await startLivekitServer(lkOptions);
    cleanups.push(() => livekit.stop());

    const spoolDir = mkdtempSync(path.join(os.tmpdir(), 'parley-fault-spool-'));
    cleanups.push(async () => rmSync(spoolDir, { recursive: true, force: true }));
    // The agent reaches the gateway through the gate; a dead job's spool is re-sent within ~1 s.
    const worker = await spawnAgentWorker({
      ...env,
      GATEWAY_URL: gate.url,
      AGENT_SPOOL_DIR: spoolDir,
      AGENT_SPOOL_RECOVERY_MS: '1000',
    });
    cleanups.push(() => worker.stop('SIGTERM'));
    await worker.waitUntilRegistered(60_000);

    return {
      gatewayUrl,
      gatewayProcess,
      database,
      get livekit() {
        return livekit;
      },
      worker,
      fakes: { deepgram, openai },
      gate,
      pgProxy,
      redis,
      client: () => new TestClient(gatewayUrl),
      async restartLivekit(downMs = 1000, whileDown?: () => Promise<void>) {
        await livekit.stop();
        const downAt = Date.now();
        await whileDown?.();
        await new Promise((r) => setTimeout(r, Math.max(0, downAt + downMs - Date.now())));
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

export async function waitFor(
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  /** What to print when the wait fails (the state the probe last saw, a log tail). */
  detail?: () => Promise<string> | string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(probe)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) {
      const more = detail
        ? await Promise.resolve()
            .then(detail)
            .catch((e: unknown) => String(e))
        : '';
      throw new Error(`${what} not met within ${timeoutMs} ms${more ? `\n${more}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The password registerCaller gives every account. */
export const CALLER_PASSWORD = 'correct horse battery staple 42';

export async function registerCaller(client: TestClient) {
  const email = `fault-${randomBytes(5).toString('hex')}@example.com`;
  const r = await client.post('/api/auth/register', {
    email,
    password: CALLER_PASSWORD,
    displayName: 'Caller',
  });
  if (r.status !== 201) throw new Error(`register answered ${r.status}: ${r.text}`);
  return { id: r.body.user.id as string, email };
}

export async function storedUtterances(db: TestDatabase, conversationId: string) {
  return db
    .db('utterances')
    .where({ conversation_id: conversationId })
    .orderBy('seq')
    .select('seq', 'role', 'text', 'interrupted');
}

export const storedSeqs = async (db: TestDatabase, conversationId: string) =>
  (await storedUtterances(db, conversationId)).map((r) => r.seq as number);

/** Where the fakes' records stood when a call began: what they emit after it belongs to that call. */
export interface RecordMark {
  stt: number;
  llm: number;
}
export const markRecord = (stack: FaultStack): RecordMark => ({
  stt: stack.fakes.deepgram.transcriptsSent.length,
  llm: stack.fakes.openai.repliesStreamed.length,
});

const occurrences = (hay: string, needle: string) => (needle ? hay.split(needle).length - 1 : 0);

/**
 * Compares what was stored (and what a transcript socket received) with the independent record:
 * the greeting, every final the fake STT emitted and every reply the fake LLM streamed in full
 * since `mark` (and `alsoSaid`). Under CPU starvation the fake STT may split one sentence into two finals that the
 * agent commits as one user turn, so user text is compared as one joined string. Records the
 * result for docs/reliability.md and returns it; expectNothingLost asserts it.
 */
export async function checkAgainstRecord(
  stack: FaultStack,
  conversationId: string,
  mark: RecordMark,
  info: {
    fault: string;
    file: string;
    inFlight: string;
    outcome: string;
    live: number[] | null;
    record?: boolean;
    /** Agent lines said after the replies that belong in the record (a replacement agent's apology). */
    alsoSaid?: string[];
  },
) {
  const rows = await storedUtterances(stack.database, conversationId);
  const finals = stack.fakes.deepgram.transcriptsSent.slice(mark.stt);
  const replies = stack.fakes.openai.repliesStreamed.slice(mark.llm);
  const expectedAgent = [greetingFor('en'), ...replies, ...(info.alsoSaid ?? [])];
  const user = rows.filter((r) => r.role === 'user').map((r) => r.text as string);
  const agent = rows.filter((r) => r.role === 'agent').map((r) => r.text as string);
  const userJoined = user.join(' ');
  const finalsJoined = finals.join(' ');
  const lost =
    finals.filter((t) => occurrences(userJoined, t) === 0).length +
    expectedAgent.filter((t) => !agent.includes(t)).length;
  const seqs = rows.map((r) => r.seq as number);
  const duplicated =
    finals.filter((t) => occurrences(userJoined, t) > occurrences(finalsJoined, t)).length +
    expectedAgent.filter((t) => agent.filter((a) => a === t).length > expectedAgent.filter((e) => e === t).length)
      .length +
    (seqs.length - new Set(seqs).size);
  const live = info.live
    ? {
        received: info.live.length,
        lost: seqs.filter((s) => !info.live!.includes(s)).length,
        duplicated: info.live.length - new Set(info.live).size,
      }
    : null;
  const record = {
    fault: info.fault,
    file: info.file,
    inFlight: info.inFlight,
    outcome: info.outcome,
    expected: expectedAgent.length + finals.length,
    stored: rows.length,
    lost,
    duplicated,
    live,
  };
  if (info.record !== false) recordFault(record);
  return { record, seqs, userJoined, finalsJoined, agent, expectedAgent };
}

/** Seqs 0..n-1, user text as the STT emitted it, agent text as the LLM streamed it, nothing lost or doubled. */
export function expectNothingLost(r: Awaited<ReturnType<typeof checkAgainstRecord>>, expect: (v: unknown) => any) {
  expect(r.seqs).toEqual(r.seqs.map((_, i) => i));
  expect(r.userJoined).toBe(r.finalsJoined);
  expect(r.agent).toEqual(r.expectedAgent);
  expect({ lost: r.record.lost, duplicated: r.record.duplicated }).toEqual({ lost: 0, duplicated: 0 });
  if (r.record.live) expect(r.record.live).toEqual({ received: r.record.stored, lost: 0, duplicated: 0 });
}

/**
 * Holds the next batch of `conversationId` that carries an utterance at the gate, and asserts it is
 * in flight: sent by the agent (its request still open), carrying `seq`, not acknowledged, not
 * stored. Call it right after the action that produces the utterance; inject the fault next.
 */
export async function expectUtteranceInFlight(
  stack: FaultStack,
  conversationId: string,
  seq: number,
  expect: (v: unknown, msg?: string) => any,
) {
  const held = await stack.gate.waitForHeld(conversationId);
  expect(held.seqs).toContain(seq);
  expect(held.senderConnected).toBe(true);
  expect(await storedSeqs(stack.database, conversationId)).not.toContain(seq);
  const acked = stack.gate.answers.filter((a) => a.conversationId === conversationId && a.status < 300);
  expect(acked.flatMap((a) => a.seqs)).not.toContain(seq);
  return held;
}

/** The utterance seqs a transcript socket delivered (snapshot + live), and whether call_ended came. */
export function socketSeqs(socket: { queued(): ServerMessage[] }, snapshot: { utterances: Array<{ seq: number }> }) {
  const live = socket.queued().flatMap((m) => (m.type === 'utterance' ? [m.utterance.seq] : []));
  const ended = socket.queued().find((m) => m.type === 'call_ended');
  return {
    seqs: [...snapshot.utterances.map((u) => u.seq), ...live],
    endReason: ended?.type === 'call_ended' ? ended.reason : null,
  };
}
