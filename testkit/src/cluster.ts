// A Parley cluster on this machine, for the cluster fault tests and the scaling run: its own
// redis-server, two livekit-server nodes in distributed mode over it, two agent workers, two
// gateway processes over one Postgres database, and Debian's haproxy in front of the gateways
// (HTTP and WebSocket) and of the LiveKit nodes (signalling and API). Every process can be killed
// and started again on its ports. See docs/scaling.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import {
  descendantPids as descendants,
  freePort,
  freeStablePort,
  startLivekitServer,
  type RunningLivekitServer,
} from '@parley/tools';
import { spawnAgentWorker, type AgentWorkerProcess } from './agent-worker';
import { createTestDatabase, type TestDatabase } from './db';
import { startFakeCartesia, startFakeDeepgram, startFakeOpenAI, type FakeDeepgramOptions } from './fakes';
import type { FakeOpenAIOptions } from './fakes';
import { TEST_INGEST_SECRET } from './gateway';
import { TestClient } from './http-client';
import { startIngestGate, type IngestGate } from './ingest-gate';
import { OwnRedis } from './services';
import { fakeProviderEnv, gatewayAsProcess, type GatewayProcess, type Stack } from './stack';

export interface ClusterOptions {
  deepgram?: FakeDeepgramOptions;
  openai?: FakeOpenAIOptions;
  /** UDP media ports per LiveKit node (default 40). */
  udpPortsPerNode?: number;
  /** Extra environment for both gateways / both workers. */
  gatewayEnv?: Record<string, string>;
  agentEnv?: Record<string, string>;
  /** Folder for the LiveKit, gateway (info level) and haproxy logs (debugging). */
  logDir?: string;
  /** Put an IngestGate between the workers and haproxy (fault tests hold utterance batches in flight). */
  ingestGate?: boolean;
}

/** One LiveKit node: `region` names it (node-a, node-b) in Redis' `nodes` hash. */
export interface ClusterNode {
  name: string;
  server: RunningLivekitServer;
  /** Starts the node again on the same ports after a kill. */
  restart(): Promise<void>;
  kill(): Promise<void>;
}

export interface ClusterWorker {
  name: string;
  process: AgentWorkerProcess;
  spoolDir: string;
  /** Starts a fresh worker process with the same settings (after a kill). */
  restart(): Promise<void>;
}

export interface Cluster {
  redis: OwnRedis;
  nodes: ClusterNode[];
  workers: ClusterWorker[];
  gateways: GatewayProcess[];
  /** haproxy: `gatewayUrl` (HTTP + WebSocket) and `livekitUrl` (signalling + API) balance over the live members. */
  lb: {
    gatewayUrl: string;
    livekitUrl: string;
    process: ChildProcess;
    configPath: string;
    /** haproxy's own answer to which gateway (index into `gateways`) serves the client connection from local `port`. */
    gatewayServing(port: number): Promise<number | null>;
  };
  /** Between the workers and haproxy when `ingestGate` was asked for; otherwise null. */
  gate: IngestGate | null;
  database: TestDatabase;
  fakes: Stack['fakes'];
  agentName: string;
  apiKey: string;
  apiSecret: string;
  /** A browser-like client of the gateways, through the load balancer. */
  client(): TestClient;
  /** The node (`node-a` / `node-b`) hosting a room, from Redis' `room_node_map`; null when none. */
  placement(room: string): Promise<string | null>;
  /** Every room's node, from `room_node_map`. */
  placements(): Promise<Record<string, string>>;
  /** The worker whose process tree holds `pid` (a job process), if any. */
  workerOfJob(pid: number): Promise<ClusterWorker | undefined>;
  /**
   * The agent identities (`agent-<job id>`) of every job the live workers run now (their GET /jobs).
   * A job that ended in a job host, whose process runs on with other calls, is gone from here.
   */
  runningAgents(): Promise<Set<string>>;
  stop(): Promise<void>;
}

/** A worker imports @livekit/agents and forks its job processes: minutes on a loaded 2-core machine. */
const REGISTER_MS = 150_000;

const SESSION_SECRET = 'test-session-secret-0123456789abcdefghijkl';

export function haproxyBinary(): string {
  for (const p of ['/usr/sbin/haproxy', '/usr/bin/haproxy', '/usr/local/sbin/haproxy']) if (existsSync(p)) return p;
  throw new Error('haproxy is not installed: run scripts/ensure-system-deps.sh');
}

/**
 * haproxy's configuration for the cluster. Gateways: round robin, health-checked on /healthz
 * every 500 ms, WebSocket upgrades pass through (tunnel timeout), a failed connection is retried
 * on the other gateway. LiveKit: signalling WebSockets and the server API to any live node
 * (distributed mode relays signalling to the room's node over Redis); each worker has its own
 * frontend preferring "its" node with the other as backup, so the workers register one per node.
 */
export function haproxyConfig(p: {
  /** haproxy's admin socket (`show sess`: which server serves which client connection). */
  statsSocket?: string;
  gatewayPort: number;
  livekitPort: number;
  workerPorts: number[];
  gateways: number[];
  nodes: number[];
}): string {
  const check = 'check inter 500 fall 2 rise 2';
  const lines = [
    'global',
    '  maxconn 4096',
    ...(p.statsSocket ? [`  stats socket ${p.statsSocket} mode 600 level admin`] : []),
    'defaults',
    '  mode http',
    '  option redispatch',
    '  retries 3',
    '  retry-on conn-failure empty-response',
    '  timeout connect 1s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout tunnel 1h',
    '  timeout http-request 10s',
    'frontend gateways',
    `  bind 127.0.0.1:${p.gatewayPort}`,
    '  default_backend gateways',
    'backend gateways',
    '  balance roundrobin',
    '  option httpchk GET /healthz',
    ...p.gateways.map((port, i) => `  server gw${i + 1} 127.0.0.1:${port} ${check}`),
    'frontend livekit',
    `  bind 127.0.0.1:${p.livekitPort}`,
    '  default_backend livekit',
    'backend livekit',
    '  balance roundrobin',
    '  option httpchk GET /',
    ...p.nodes.map((port, i) => `  server lk${i + 1} 127.0.0.1:${port} ${check}`),
  ];
  p.workerPorts.forEach((port, w) => {
    lines.push(
      `frontend livekit_w${w + 1}`,
      `  bind 127.0.0.1:${port}`,
      `  default_backend livekit_w${w + 1}`,
      `backend livekit_w${w + 1}`,
      '  option httpchk GET /',
      ...p.nodes.map(
        (nodePort, i) =>
          `  server lk${i + 1} 127.0.0.1:${nodePort} ${check}${i === w % p.nodes.length ? '' : ' backup'}`,
      ),
    );
  });
  return lines.join('\n') + '\n';
}

/** One command on haproxy's admin socket; resolves with its whole answer. */
function haproxyCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(socketPath, () => s.end(`${command}\n`));
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('end', () => resolve(Buffer.concat(chunks).toString()));
    s.on('error', reject);
  });
}

async function waitHttp(url: string, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(500) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer within ${timeoutMs} ms (${url})`);
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const redis = new OwnRedis(await freeStablePort());
    await redis.start();
    cleanups.push(() => redis.kill('SIGTERM'));
    const redisCommands = createClient({ url: redis.url });
    redisCommands.on('error', () => undefined);
    await redisCommands.connect();
    cleanups.push(() => redisCommands.close());

    const [deepgram, openai, cartesia] = await Promise.all([
      startFakeDeepgram({ endpointSilenceMs: 450, ...options.deepgram }),
      startFakeOpenAI(options.openai),
      startFakeCartesia(),
    ]);
    cleanups.push(
      () => deepgram.close(),
      () => openai.close(),
      () => cartesia.close(),
    );
    const fakes = { deepgram, openai, cartesia };

    const apiKey = 'devkey';
    const apiSecret = `lk-secret-${randomBytes(16).toString('hex')}`;
    const agentName = `parley-cluster-${randomUUID().slice(0, 8)}`;
    const [gatewayPort, livekitPort, w1Port, w2Port] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const livekitUrl = `ws://127.0.0.1:${livekitPort}`;

    // LiveKit nodes: explicit signal, RTC TCP and non-overlapping UDP ports; one Redis.
    const udp = options.udpPortsPerNode ?? 40;
    const udpBase = 42000 + Math.floor(Math.random() * 200) * 100;
    const nodes: ClusterNode[] = [];
    for (const [i, name] of ['node-a', 'node-b'].entries()) {
      const lkOptions = {
        // Restarted on the same ports after a kill (runFault's node fault).
        port: await freeStablePort(),
        rtcTcpPort: await freeStablePort(),
        udpPortStart: udpBase + i * udp,
        udpPortCount: udp,
        apiKey,
        apiSecret,
        redisAddress: `127.0.0.1:${redis.port}`,
        region: name,
        // The node with the fewest rooms hosts the next one (LiveKit's default is random).
        nodeSelector: { kind: 'any', sortBy: 'rooms' },
        webhookUrls: [`${gatewayUrl}/internal/livekit/webhook`],
        ...(options.logDir ? { logFile: path.join(options.logDir, `${name}.log`), logLevel: 'info' as const } : {}),
      };
      const node: ClusterNode = {
        name,
        server: await startLivekitServer(lkOptions),
        async restart() {
          node.server = await startLivekitServer(lkOptions);
        },
        async kill() {
          const c = node.server.process;
          if (c.exitCode !== null || c.signalCode !== null) return;
          const exited = new Promise((r) => c.once('exit', r));
          c.kill('SIGKILL');
          await exited;
        },
      };
      nodes.push(node);
      cleanups.push(() => node.server.stop());
    }

    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const lkEnv = { LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret, AGENT_NAME: agentName };
    const providers = fakeProviderEnv(fakes);
    const redisPrefix = `parley-cluster:${randomBytes(4).toString('hex')}:`;
    const gateways: GatewayProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const gw = await gatewayAsProcess({
        ...lkEnv,
        ...providers,
        NODE_ENV: 'test',
        LOG_LEVEL: options.logDir ? 'info' : 'warn',
        LIVEKIT_URL: livekitUrl,
        INGEST_SECRET: TEST_INGEST_SECRET,
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redisPrefix,
        SESSION_SECRET,
        ...options.gatewayEnv,
      });
      await gw.start();
      gateways.push(gw);
      const gwLog = options.logDir ? path.join(options.logDir, `gateway-${i + 1}.log`) : null;
      cleanups.push(async () => {
        await gw.kill('SIGTERM');
        if (gwLog) writeFileSync(gwLog, gw.output.join(''));
      });
    }

    const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-cluster-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const configPath = path.join(dir, 'haproxy.cfg');
    const statsSocket = path.join(dir, 'haproxy.sock');
    writeFileSync(
      configPath,
      haproxyConfig({
        statsSocket,
        gatewayPort,
        livekitPort,
        workerPorts: [w1Port, w2Port],
        gateways: gateways.map((g) => g.port),
        nodes: nodes.map((n) => n.server.port),
      }),
    );
    const lbLog = options.logDir ? path.join(options.logDir, 'haproxy.log') : null;
    const haproxy = spawn(haproxyBinary(), ['-db', '-f', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lbOutput: string[] = [];
    haproxy.stdout!.on('data', (b: Buffer) => lbOutput.push(b.toString()));
    haproxy.stderr!.on('data', (b: Buffer) => lbOutput.push(b.toString()));
    cleanups.push(async () => {
      if (lbLog) writeFileSync(lbLog, lbOutput.join(''));
      if (haproxy.exitCode !== null) return;
      const exited = new Promise((r) => haproxy.once('exit', r));
      haproxy.kill('SIGTERM');
      await exited;
    });
    await waitHttp(`${gatewayUrl}/healthz`, 10_000, 'haproxy → gateways').catch((err) => {
      throw new Error(`${(err as Error).message}\n${lbOutput.join('')}`);
    });
    await waitHttp(`http://127.0.0.1:${livekitPort}/`, 10_000, 'haproxy → LiveKit');

    let gate: IngestGate | null = null;
    if (options.ingestGate) {
      gate = await startIngestGate(gatewayUrl);
      cleanups.push(() => gate!.close());
    }

    const workers: ClusterWorker[] = [];
    for (const [i, port] of [w1Port, w2Port].entries()) {
      const spoolDir = mkdtempSync(path.join(os.tmpdir(), `parley-cluster-spool-${i + 1}-`));
      cleanups.push(async () => rmSync(spoolDir, { recursive: true, force: true }));
      const env = {
        ...lkEnv,
        ...providers,
        LIVEKIT_URL: `ws://127.0.0.1:${port}`,
        INGEST_SECRET: TEST_INGEST_SECRET,
        GATEWAY_URL: gate?.url ?? gatewayUrl,
        AGENT_SPOOL_DIR: spoolDir,
        AGENT_SPOOL_RECOVERY_MS: '1000',
        ...options.agentEnv,
      };
      const logs = { logFile: options.logDir ? path.join(options.logDir, `worker-${i + 1}.log`) : undefined };
      const worker: ClusterWorker = {
        name: `worker-${i + 1}`,
        process: await spawnAgentWorker(env, logs),
        spoolDir,
        async restart() {
          await worker.process.stop('SIGKILL');
          worker.process = await spawnAgentWorker(env, logs);
          await worker.process.waitUntilRegistered(REGISTER_MS);
        },
      };
      workers.push(worker);
      cleanups.push(() => worker.process.stop('SIGTERM'));
    }
    for (const w of workers) await w.process.waitUntilRegistered(REGISTER_MS);

    const nodeNames = async (): Promise<Map<string, string>> => {
      const raw = await redisCommands.hGetAll('nodes');
      const out = new Map<string, string>();
      for (const [id, info] of Object.entries(raw)) {
        const n = nodes.find((node) => info.includes(node.name));
        if (n) out.set(id, n.name);
      }
      return out;
    };
    const placements = async () => {
      const [map, names] = await Promise.all([redisCommands.hGetAll('room_node_map'), nodeNames()]);
      return Object.fromEntries(Object.entries(map).map(([room, id]) => [room, names.get(id) ?? id]));
    };

    return {
      redis,
      nodes,
      workers,
      gateways,
      lb: {
        gatewayUrl,
        livekitUrl,
        process: haproxy,
        configPath,
        async gatewayServing(port) {
          const sessions = await haproxyCommand(statsSocket, 'show sess');
          const line = sessions
            .split('\n')
            .find((l) => l.includes(`src=127.0.0.1:${port} `) && l.includes('fe=gateways'));
          const srv = line && /srv=gw(\d+)/.exec(line);
          return srv ? Number(srv[1]) - 1 : null;
        },
      },
      gate,
      database,
      fakes,
      agentName,
      apiKey,
      apiSecret,
      client: () => new TestClient(gatewayUrl),
      placements,
      async placement(room) {
        return (await placements())[room] ?? null;
      },
      async workerOfJob(pid) {
        for (const w of workers)
          if (w.process.process.pid === pid || (await descendants(w.process.process.pid!)).includes(pid)) return w;
        return undefined;
      },
      async runningAgents() {
        // A killed worker runs nothing; a live one must answer (a busy one gets three tries).
        const live = workers.filter((w) => w.process.process.exitCode === null && !w.process.process.signalCode);
        const jobsOf = async (w: ClusterWorker) => {
          for (let i = 1; ; i++)
            try {
              return await w.process.jobs();
            } catch (err) {
              if (i === 3) throw err;
            }
        };
        const jobs = (await Promise.all(live.map(jobsOf))).flat();
        return new Set(jobs.map((j) => `agent-${j.id}`));
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Log messages too frequent to tell a call's story (per audio window, per request, per turn). */
const TIMELINE_NOISE =
  /VAD inference is slower|request completed|Creating speech handle|starting preemptive generation|keyterms|Connect callback|participantValue|mainTask/;

/**
 * What happened to the calls since `sinceMs`, from every worker's and gateway's log, in time order:
 * one line per lifecycle message (jobs, joins and leaves, reconnections, recoveries, the one-agent
 * rule), with the fields that say which call. What a failed fault round prints instead of log tails
 * that a loaded job's VAD warnings fill.
 */
export function clusterTimeline(cluster: Cluster, sinceMs: number, limit = 300): string {
  const sources = [
    ...cluster.workers.map((w) => ({ name: w.name, output: w.process.output })),
    ...cluster.gateways.map((g, i) => ({ name: `gateway-${i + 1}`, output: g.output })),
  ];
  const rows: Array<{ time: number; line: string }> = [];
  for (const { name, output } of sources)
    for (const raw of output.join('').split('\n')) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        continue;
      }
      const time = Number(entry.time);
      const msg = String(entry.msg ?? '');
      if (!(time >= sinceMs) || Number(entry.level) < 30 || TIMELINE_NOISE.test(msg)) continue;
      const { level: _l, time: _t, hostname: _h, service: _s, msg: _m, v: _v, ...fields } = entry;
      const detail = JSON.stringify(fields);
      const shortened = detail.length > 300 ? `${detail.slice(0, 300)}…` : detail;
      rows.push({ time, line: `${new Date(time).toISOString().slice(11, 23)} ${name} ${msg} ${shortened}` });
    }
  rows.sort((a, b) => a.time - b.time);
  const shown = rows.slice(-limit).map((r) => r.line);
  return (rows.length > limit ? [`(${rows.length - limit} earlier lines left out)`, ...shown] : shown).join('\n');
}
