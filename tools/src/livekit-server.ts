import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);

export const LIVEKIT_SERVER_VERSION = 'v1.13.3';
const MODULE = 'github.com/livekit/livekit-server/cmd/server';

/** Kept outside the clone so later runs, other clones and CI on this machine reuse the build. */
export function toolsDir(): string {
  return (
    process.env.PARLEY_TOOLS_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'parley', 'bin')
  );
}

export function livekitBinaryPath(): string {
  return process.env.LIVEKIT_SERVER_BIN ?? path.join(toolsDir(), `livekit-server-${LIVEKIT_SERVER_VERSION}`);
}

/** Builds the pinned livekit-server with `go install` unless it is already there (~85 s cold, ~18 s warm). */
export async function ensureLivekitServer(log: (line: string) => void = () => {}): Promise<string> {
  const bin = livekitBinaryPath();
  if (existsSync(bin)) return bin;
  const gobin = mkdtempSync(path.join(os.tmpdir(), 'parley-gobin-'));
  log(`building livekit-server ${LIVEKIT_SERVER_VERSION} with go install (first run only, ~1-2 min)…`);
  try {
    await run('go', ['install', `${MODULE}@${LIVEKIT_SERVER_VERSION}`], {
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: process.env.CGO_ENABLED ?? '1' },
      maxBuffer: 32 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(
        'Go is not installed: it is needed once to build livekit-server (or set LIVEKIT_URL to use another server).',
      );
    throw new Error(`go install ${MODULE}@${LIVEKIT_SERVER_VERSION} failed:\n${e.stderr ?? e.message}`);
  }
  mkdirSync(path.dirname(bin), { recursive: true });
  renameSync(path.join(gobin, 'server'), bin);
  rmSync(gobin, { recursive: true, force: true });
  return bin;
}

export interface LivekitServerOptions {
  /**
   * Address advertised to clients for media, and listened on besides 127.0.0.1 (`npm start -- --lan`
   * gives the machine's LAN address so phones on the network reach the media ports).
   */
  lanAddress?: string;
  port?: number;
  rtcTcpPort?: number;
  /** First of a narrow UDP range for media. */
  udpPortStart?: number;
  /** How many UDP ports (default 20: a handful of calls; raise it for load). */
  udpPortCount?: number;
  apiKey?: string;
  apiSecret?: string;
  /** Gateway endpoints that receive LiveKit webhooks (room_finished, participant_left, …). */
  webhookUrls?: string[];
  /** Dispatch is refused above this worker load; Parley's worker reports its own job count. */
  agentTargetLoad?: number;
  logFile?: string;
  /** LiveKit's log level (default warn; debugging a cluster test wants info). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Distributed mode: every node of a cluster names the same Redis (host:port). */
  redisAddress?: string;
  /** LiveKit region name (a cluster test names each node by it; it shows in Redis' `nodes` hash). */
  region?: string;
  /** Room placement in a cluster, e.g. `{ kind: 'any', sortBy: 'rooms' }` (fewest rooms first). */
  nodeSelector?: { kind: string; sortBy: string };
}

export interface RunningLivekitServer {
  url: string;
  httpUrl: string;
  apiKey: string;
  apiSecret: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Attempts at starting when a port picked here was taken before the server bound it. */
const START_ATTEMPTS = 3;

export async function startLivekitServer(options: LivekitServerOptions = {}): Promise<RunningLivekitServer> {
  const bin = await ensureLivekitServer();
  // Ports picked here are free when picked, not when the server binds them a moment later: another
  // process on the machine (a parallel test's server, any outbound connection) can take one between.
  // On that error the server starts again on fresh picks; ports the caller named are kept and fail.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(bin, options);
    } catch (err) {
      if (!(err instanceof PortTakenError) || !err.picked || attempt >= START_ATTEMPTS) throw err;
    }
  }
}

class PortTakenError extends Error {
  constructor(
    message: string,
    /** Whether the port taken was one picked here (not one the caller named). */
    readonly picked: boolean,
  ) {
    super(message);
  }
}

async function launch(bin: string, options: LivekitServerOptions): Promise<RunningLivekitServer> {
  const port = options.port ?? (await freePort());
  const tcpPort = options.rtcTcpPort ?? (await freePort());
  const udpStart = options.udpPortStart ?? 30000 + Math.floor(Math.random() * 1000) * 20;
  const apiKey = options.apiKey ?? 'devkey';
  const apiSecret = options.apiSecret ?? 'parley-local-livekit-secret-0123456789abcdef';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-livekit-'));
  const config = [
    `port: ${port}`,
    `bind_addresses: [127.0.0.1${options.lanAddress ? `, ${options.lanAddress}` : ''}]`,
    'rtc:',
    `  tcp_port: ${tcpPort}`,
    `  port_range_start: ${udpStart}`,
    `  port_range_end: ${udpStart + (options.udpPortCount ?? 20) - 1}`,
    '  use_external_ip: false',
    `  node_ip: ${options.lanAddress ?? '127.0.0.1'}`,
    'keys:',
    `  ${apiKey}: ${apiSecret}`,
    ...(options.redisAddress
      ? [
          'redis:',
          `  address: ${options.redisAddress}`,
          // Distributed mode: list a room's participants from the node that hosts it. By default they
          // come from Redis, which keeps a dead node's participants for good: after a node died, the
          // recreated room listed its lost agent too, and the gateway removed the re-dispatched one.
          'api:',
          '  enable_psrpc_for_get_list_participants: true',
        ]
      : []),
    ...(options.region ? [`region: ${options.region}`] : []),
    ...(options.nodeSelector
      ? ['node_selector:', `  kind: ${options.nodeSelector.kind}`, `  sort_by: ${options.nodeSelector.sortBy}`]
      : []),
    'logging:',
    `  level: ${options.logLevel ?? 'warn'}`,
    'agents:',
    `  target_load: ${options.agentTargetLoad ?? 0.95}`,
    ...(options.webhookUrls?.length
      ? ['webhook:', `  api_key: ${apiKey}`, '  urls:', ...options.webhookUrls.map((u) => `    - ${u}`)]
      : []),
    '',
  ].join('\n');
  const configPath = path.join(dir, 'livekit.yaml');
  writeFileSync(configPath, config);
  const logFrom = options.logFile && existsSync(options.logFile) ? statSync(options.logFile).size : 0;
  const out = options.logFile ? openSync(options.logFile, 'a') : 'pipe';
  const child = spawn(bin, ['--config', configPath], { stdio: ['ignore', out, out] });
  // livekit-server 1.13.3 prints a startup error (a port it cannot bind, say) to stdout and exits
  // with 0 (cmd/server/main.go): keep the end of its output for the error below.
  let tail = '';
  const keep = (b: Buffer) => void (tail = (tail + b.toString()).slice(-2000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const output = (): string =>
    options.logFile ? readFileSync(options.logFile).subarray(logFrom).toString().slice(-2000) : tail;
  const url = `ws://127.0.0.1:${port}`;
  const httpUrl = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  const startFailed = (why: string): Error => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    const said = output().trim();
    const message = `livekit-server ${why} (port ${port})${said ? `: ${said}` : ''}`;
    // e.g. "listen tcp 127.0.0.1:36095: bind: address already in use"
    const taken = /:(\d+): bind: address already in use/.exec(said);
    if (!taken) return new Error(message);
    const takenPort = Number(taken[1]);
    const picked =
      (takenPort === port && options.port === undefined) || (takenPort === tcpPort && options.rtcTcpPort === undefined);
    return new PortTakenError(message, picked);
  };
  for (;;) {
    if (child.exitCode !== null) throw startFailed(`exited with code ${child.exitCode}`);
    try {
      const res = await fetch(httpUrl, { signal: AbortSignal.timeout(500) });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw startFailed('did not answer within 15 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    httpUrl,
    apiKey,
    apiSecret,
    port,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
