// The same parts as testkit's startStack (fakes, gateway process, LiveKit server, Parley's agent
// worker), but with a LiveKit UDP port range wide enough for the density ramp: startStack keeps
// the server's default of 20 ports, enough for a handful of calls only.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startLivekitServer } from '@parley/tools';
import {
  createTestDatabase,
  spawnAgentWorker,
  startFakeCartesia,
  startFakeDeepgram,
  startFakeOpenAI,
  TEST_INGEST_SECRET,
  TEST_REDIS_URL,
  TestClient,
} from '@parley/testkit';
import { fakeProviderEnv, gatewayAsProcess, type Stack, type StackOptions } from '@parley/testkit/stack';

export async function startWideStack(options: StackOptions & { udpPortCount: number }): Promise<Stack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const [deepgram, openai, cartesia] = await Promise.all([
      startFakeDeepgram(options.deepgram),
      startFakeOpenAI(options.openai),
      startFakeCartesia(options.cartesia),
    ]);
    cleanups.push(
      () => deepgram.close(),
      () => openai.close(),
      () => cartesia.close(),
    );
    const fakes = { deepgram, openai, cartesia };
    const agentName = `parley-bench-${randomUUID().slice(0, 8)}`;
    const lkPort = await freePort();
    const lkSecret = `lk-secret-${randomBytes(16).toString('hex')}`;
    const env: Record<string, string> = {
      LIVEKIT_URL: `ws://127.0.0.1:${lkPort}`,
      LIVEKIT_API_KEY: 'devkey',
      LIVEKIT_API_SECRET: lkSecret,
      AGENT_NAME: agentName,
      INGEST_SECRET: TEST_INGEST_SECRET,
      ...fakeProviderEnv(fakes),
      ...options.gatewayEnv,
    };
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const redisPrefix = `parley-bench:${randomBytes(4).toString('hex')}:`;
    const gatewayProcess = await gatewayAsProcess({
      ...env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      SESSION_SECRET: 'bench-session-secret-0123456789abcdefghijkl',
    });
    await gatewayProcess.start();
    cleanups.push(() => gatewayProcess.kill('SIGTERM'));
    const livekit = await startLivekitServer({
      port: lkPort,
      apiKey: env.LIVEKIT_API_KEY,
      apiSecret: lkSecret,
      webhookUrls: [`${gatewayProcess.url}/internal/livekit/webhook`],
      udpPortCount: options.udpPortCount,
    });
    cleanups.push(() => livekit.stop());
    const spoolDir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-spool-'));
    cleanups.push(async () => rmSync(spoolDir, { recursive: true, force: true }));
    const worker = await spawnAgentWorker({
      ...env,
      GATEWAY_URL: gatewayProcess.url,
      AGENT_SPOOL_DIR: spoolDir,
      ...options.agentEnv,
    });
    cleanups.push(() => worker.stop('SIGTERM'));
    await worker.waitUntilRegistered(60_000);
    return {
      livekit,
      gatewayUrl: gatewayProcess.url,
      gateway: null,
      gatewayProcess,
      database,
      redisPrefix,
      fakes,
      worker,
      agentName,
      spoolDir,
      env,
      client: () => new TestClient(gatewayProcess.url),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
