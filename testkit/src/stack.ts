// The whole Parley call path on this machine, for end-to-end tests, browser tests, benchmarks
// and fault tests: a LiveKit server (webhooks to the gateway), the provider fakes, a gateway
// (in-process, or its own restartable process) over a fresh Postgres database and a private
// Redis prefix, and the real agent worker process pointed at the fakes. See docs/agent.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProviderEnv } from '@parley/protocol';
import { freePort, freeStablePort, startLivekitServer, type RunningLivekitServer } from '@parley/tools';
import { spawnAgentWorker, type AgentWorkerProcess } from './agent-worker';
import { bundledEntry } from './bundled';
import { createTestDatabase, type TestDatabase } from './db';
import {
  startFakeCartesia,
  startFakeDeepgram,
  startFakeOpenAI,
  type FakeCartesia,
  type FakeCartesiaOptions,
  type FakeDeepgram,
  type FakeDeepgramOptions,
  type FakeOpenAI,
  type FakeOpenAIOptions,
} from './fakes';
import { startTestGateway, TEST_INGEST_SECRET, TEST_REDIS_URL, type TestGateway } from './gateway';
import { TestClient } from './http-client';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const SESSION_SECRET = 'test-session-secret-0123456789abcdefghijkl';

export interface StackOptions {
  deepgram?: FakeDeepgramOptions;
  openai?: FakeOpenAIOptions;
  cartesia?: FakeCartesiaOptions;
  /**
   * 'fakes' (default): every provider points at the local fakes. 'local': no provider variable at
   * all (inherited ones removed too), so gateway and agent pick the offline providers (PocketSphinx,
   * espeak-ng, the echo responder) as `npm start` does without keys. The fakes still run, unused.
   */
  providers?: 'fakes' | 'local';
  /** 'in-process' (default): startTestGateway. 'process': gateway/src/main.ts bundled (./bundled.ts) in its own process, killable and restartable on the same port. */
  gateway?: 'in-process' | 'process';
  /** Extra environment for the gateway and the agent worker. */
  gatewayEnv?: Record<string, string>;
  agentEnv?: Record<string, string>;
  /** false: no agent worker (e.g. gateway-only tests that still want LiveKit + fakes). */
  agent?: boolean;
  /** LiveKit server log file (debugging). */
  livekitLogFile?: string;
  /** UDP media ports of the LiveKit server (default 20: a handful of calls; the density benchmark needs hundreds). */
  livekitUdpPorts?: number;
}

/** The gateway as its own OS process (fault tests: SIGKILL it, start it again on the same port). */
export interface GatewayProcess {
  url: string;
  port: number;
  process: ChildProcess;
  output: string[];
  /** Starts the process (again) and resolves when /healthz answers. */
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface Stack {
  livekit: RunningLivekitServer;
  /** The gateway's base URL (stable across restarts of a process gateway). */
  gatewayUrl: string;
  /** Set for an in-process gateway. */
  gateway: TestGateway | null;
  /** Set for a process gateway. */
  gatewayProcess: GatewayProcess | null;
  database: TestDatabase;
  redisPrefix: string;
  fakes: { deepgram: FakeDeepgram; openai: FakeOpenAI; cartesia: FakeCartesia };
  worker: AgentWorkerProcess | null;
  agentName: string;
  /** The agent's spool folder (its own per stack). */
  spoolDir: string;
  /** Environment given to the gateway and the worker (provider URLs and keys, LiveKit, secret). */
  env: Record<string, string>;
  /** A browser-like client of the gateway (cookies, Origin). */
  client(): TestClient;
  stop(): Promise<void>;
}

/** Every variable that selects or configures a provider (see ProviderEnv in @parley/protocol). */
const PROVIDER_VARIABLES = Object.keys(ProviderEnv.shape);

/** Provider environment pointing every plugin at the fakes (Deepgram STT, OpenAI LLM, Cartesia TTS). */
export function fakeProviderEnv(f: Stack['fakes']): Record<string, string> {
  return {
    STT_PROVIDER: 'deepgram',
    LLM_PROVIDER: 'openai',
    TTS_PROVIDER: 'cartesia',
    DEEPGRAM_API_KEY: 'test-deepgram-key',
    DEEPGRAM_BASE_URL: f.deepgram.url,
    OPENAI_API_KEY: 'test-openai-key',
    OPENAI_BASE_URL: f.openai.baseURL,
    CARTESIA_API_KEY: 'test-cartesia-key',
    CARTESIA_BASE_URL: f.cartesia.baseUrl,
  };
}

/**
 * The fake Deepgram's endpointing in every stack (tests and agent benchmarks). The fake's own default
 * is 300 ms: on a loaded 2-core box the plugin's audio can stall long enough mid-sentence for 300 ms
 * of "no audio" to split an utterance.
 */
export const STACK_ENDPOINT_SILENCE_MS = 450;

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const [deepgram, openai, cartesia] = await Promise.all([
      startFakeDeepgram({ endpointSilenceMs: STACK_ENDPOINT_SILENCE_MS, ...options.deepgram }),
      startFakeOpenAI(options.openai),
      startFakeCartesia(options.cartesia),
    ]);
    cleanups.push(
      () => deepgram.close(),
      () => openai.close(),
      () => cartesia.close(),
    );
    const fakes = { deepgram, openai, cartesia };
    const agentName = `parley-e2e-${randomUUID().slice(0, 8)}`;
    const lkPort = await freePort();
    const lkSecret = `lk-secret-${randomBytes(16).toString('hex')}`;
    const env: Record<string, string> = {
      LIVEKIT_URL: `ws://127.0.0.1:${lkPort}`,
      LIVEKIT_API_KEY: 'devkey',
      LIVEKIT_API_SECRET: lkSecret,
      AGENT_NAME: agentName,
      INGEST_SECRET: TEST_INGEST_SECRET,
      ...(options.providers === 'local' ? {} : fakeProviderEnv(fakes)),
      ...options.gatewayEnv,
    };

    // Spawned processes inherit this process's environment: drop provider variables it may hold.
    const unsetInherited: Record<string, undefined> =
      options.providers === 'local' ? Object.fromEntries(PROVIDER_VARIABLES.map((k) => [k, undefined])) : {};
    let gateway: TestGateway | null = null;
    let gatewayProcess: GatewayProcess | null = null;
    let database: TestDatabase;
    let redisPrefix: string;
    if (options.gateway === 'process') {
      database = await createTestDatabase();
      cleanups.push(() => database.drop());
      redisPrefix = `parley-test:${randomBytes(4).toString('hex')}:`;
      gatewayProcess = await gatewayAsProcess({
        ...unsetInherited,
        ...env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: redisPrefix,
        SESSION_SECRET,
      });
      await gatewayProcess.start();
      const gp = gatewayProcess;
      cleanups.push(() => gp.kill('SIGTERM'));
    } else {
      gateway = await startTestGateway({ env });
      database = gateway.database;
      redisPrefix = gateway.redisPrefix;
      const g = gateway;
      cleanups.push(() => g.stop());
    }
    const gatewayUrl = gateway?.url ?? gatewayProcess!.url;

    const livekit = await startLivekitServer({
      port: lkPort,
      apiKey: env.LIVEKIT_API_KEY,
      apiSecret: lkSecret,
      webhookUrls: [`${gatewayUrl}/internal/livekit/webhook`],
      ...(options.livekitLogFile ? { logFile: options.livekitLogFile } : {}),
      ...(options.livekitUdpPorts ? { udpPortCount: options.livekitUdpPorts } : {}),
    });
    cleanups.push(() => livekit.stop());

    const spoolDir = mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-spool-'));
    cleanups.push(async () => rmSync(spoolDir, { recursive: true, force: true }));
    let worker: AgentWorkerProcess | null = null;
    if (options.agent !== false) {
      worker = await spawnAgentWorker({
        ...unsetInherited,
        ...env,
        GATEWAY_URL: gatewayUrl,
        AGENT_SPOOL_DIR: spoolDir,
        ...options.agentEnv,
      });
      const w = worker;
      cleanups.push(() => w.stop('SIGTERM'));
      await worker.waitUntilRegistered(60_000);
    }

    return {
      livekit,
      gatewayUrl,
      gateway,
      gatewayProcess,
      database,
      redisPrefix,
      fakes,
      worker,
      agentName,
      spoolDir,
      env,
      client: () => new TestClient(gatewayUrl),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** A gateway process on a fixed free port; `start()` may be called again after `kill()`. */
export async function gatewayAsProcess(env: Record<string, string | undefined>): Promise<GatewayProcess> {
  const port = await freeStablePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const handle: GatewayProcess = {
    url,
    port,
    get process() {
      return child!;
    },
    output,
    async start() {
      child = spawn(process.execPath, [await bundledEntry('gateway/src/main.ts')], {
        cwd: repoRoot,
        env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const c = child;
      const keep = (b: Buffer) => {
        output.push(b.toString());
        if (output.length > 2000) output.splice(0, 1000);
      };
      c.stdout!.on('data', keep);
      c.stderr!.on('data', keep);
      exited = new Promise((resolve) => c.once('exit', () => resolve()));
      // 60 s: a gateway restarted under many calls' load took longer than 30 s to load under tsx here.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (c.exitCode !== null) throw new Error(`gateway exited early:\n${output.join('').slice(-3000)}`);
        const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(500) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`gateway did not answer within 60 s:\n${output.join('').slice(-3000)}`);
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      c.kill(signal);
      const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return handle;
}
