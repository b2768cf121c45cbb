/**
 * Runs the whole platform on one machine: LiveKit server (unless LIVEKIT_URL is set), gateway
 * (serving the built web client) and agent worker. Ctrl-C stops every child it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProviderEnv, resolveProviders } from '@parley/protocol';
import {
  ensureLivekitServer,
  livekitBinaryPath,
  LIVEKIT_SERVER_VERSION,
  startCaddy,
  startLivekitServer,
  type RunningCaddy,
  type RunningLivekitServer,
} from '@parley/tools';

const root = path.resolve(import.meta.dirname, '..');
process.chdir(root);
if (existsSync('.env')) process.loadEnvFile('.env');

const env = process.env;
const port = Number(env.PORT ?? 8080);
const dataDir = path.resolve(env.DATA_DIR ?? '.data');
mkdirSync(dataDir, { recursive: true });
const log = (msg: string) => console.log(`[parley] ${msg}`);
const args = process.argv.slice(2);
/** When `npm start` began (start.mjs passes it: it ran npm ci before this script). */
const startedAt = Number(args.find((a) => a.startsWith('--started-at='))?.slice(13) ?? Date.now());
/** `npm start -- --lan`: HTTPS on this machine's LAN address (Caddy, `tls internal`) for phones. */
const lan = args.includes('--lan');
const httpsPort = Number(env.HTTPS_PORT ?? 8443);

/** The first non-loopback IPv4 address: what other devices on the network reach. */
function lanAddress(): string | undefined {
  for (const addrs of Object.values(os.networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/**
 * One start-up step: says what it does, a heartbeat line every 15 s while it runs (the first
 * livekit-server build takes minutes), and how long it took.
 */
async function step<T>(what: string, fn: () => Promise<T>, hint = ''): Promise<T> {
  const t = Date.now();
  log(`${what}…${hint ? ` (${hint})` : ''}`);
  const beat = setInterval(() => log(`  … still ${what} (${seconds(t)} so far)`), 15_000);
  try {
    const result = await fn();
    log(`${what}: done in ${seconds(t)}`);
    return result;
  } finally {
    clearInterval(beat);
  }
}

/** Runs a command with inherited output; resolves with its exit code. */
const runCommand = (cmd: string, args: string[]) =>
  new Promise<number>((resolve) =>
    spawn(cmd, args, { stdio: 'inherit' })
      .once('error', () => resolve(127))
      .once('exit', (code) => resolve(code ?? 1)),
  );

/** Secrets generated once per installation and kept in the (git-ignored) data folder. */
function localSecrets(): { session: string; ingest: string; livekit: string } {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const make = () => randomBytes(32).toString('base64url');
  const secrets = { session: make(), ingest: make(), livekit: make() };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

async function buildWebIfStale() {
  const index = 'web/dist/index.html';
  const stale =
    !existsSync(index) ||
    newestMtime('web/src') > statSync(index).mtimeMs ||
    newestMtime('protocol/src') > statSync(index).mtimeMs;
  if (!stale) return;
  await step('building the web client', async () => {
    if ((await runCommand('npm', ['run', 'build', '-w', 'web', '--silent'])) !== 0) throw new Error('web build failed');
  });
}

/**
 * The local providers need PocketSphinx and espeak-ng on this machine. As root on Debian they are
 * installed here (the same script `npm test` uses); otherwise the exact command is printed and the
 * platform starts anyway: /readyz, the web page and refused calls then say what is missing.
 */
async function ensureSpeechEngines(providers: { stt: string; tts: string }) {
  if (providers.stt !== 'local' && providers.tts !== 'local') return;
  const code = await step('checking the local speech engines (PocketSphinx, espeak-ng)', () =>
    runCommand('bash', ['scripts/ensure-system-deps.sh', 'speech']),
  );
  if (code !== 0)
    log('starting anyway without them: /readyz and the web page say what is missing until they are installed');
}

const children: ChildProcess[] = [];
let lk: RunningLivekitServer | undefined;
let caddy: RunningCaddy | undefined;
let stopping = false;

async function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  const exits = children
    .filter((c) => c.exitCode === null && c.signalCode === null)
    .map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
        }),
    );
  await Promise.all(exits);
  await caddy?.stop();
  await lk?.stop();
  log('stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

function run(name: string, script: string, extraEnv: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...env, ...extraEnv },
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    log(`${name} exited (${signal ?? code}); stopping the platform`);
    void stopAll(1);
  });
  children.push(child);
}

const secrets = localSecrets();
const lanIp = lan ? lanAddress() : undefined;
if (lan && !lanIp) {
  log('--lan: this machine has no LAN (non-loopback IPv4) address');
  process.exit(1);
}
const lanUrl = lanIp ? `https://${lanIp}:${httpsPort}` : undefined;
let livekit = { url: env.LIVEKIT_URL, apiKey: env.LIVEKIT_API_KEY, apiSecret: env.LIVEKIT_API_SECRET };
const providers = resolveProviders(ProviderEnv.parse(env));
await ensureSpeechEngines(providers);
if (!livekit.url) {
  if (!existsSync(livekitBinaryPath()))
    await step(
      `building livekit-server ${LIVEKIT_SERVER_VERSION} with Go (first start only, cached in ~/.cache/parley/bin)`,
      () => ensureLivekitServer(),
      'typically 2–5 minutes',
    ).catch((err: Error) => {
      log(err.message);
      process.exit(1);
    });
  const t = Date.now();
  lk = await startLivekitServer({
    port: Number(env.LIVEKIT_PORT ?? 7880),
    rtcTcpPort: Number(env.LIVEKIT_RTC_TCP_PORT ?? 7881),
    udpPortStart: Number(env.LIVEKIT_UDP_PORT_START ?? 50000),
    udpPortCount: 200,
    apiKey: 'parley-local',
    apiSecret: secrets.livekit,
    webhookUrls: [`http://127.0.0.1:${port}/internal/livekit/webhook`],
    logFile: path.join(dataDir, 'livekit.log'),
    ...(lanIp ? { lanAddress: lanIp } : {}),
  });
  livekit = { url: lk.url, apiKey: lk.apiKey, apiSecret: lk.apiSecret };
  log(`LiveKit server ${lk.url} up in ${seconds(t)} (log: ${path.relative(root, dataDir)}/livekit.log)`);
}
// A failed step must not leave the LiveKit server (or Caddy) it already started running.
await buildWebIfStale().catch(async (err: Error) => {
  log(err.message);
  await stopAll(1);
});

const shared = {
  LIVEKIT_URL: livekit.url!,
  LIVEKIT_API_KEY: livekit.apiKey ?? '',
  LIVEKIT_API_SECRET: livekit.apiSecret ?? '',
  INGEST_SECRET: env.INGEST_SECRET ?? secrets.ingest,
};
if (lanIp) {
  caddy = await step(`starting Caddy: HTTPS on ${lanUrl} with its own certificate authority`, () =>
    startCaddy({
      names: [lanIp, 'parley.localhost'],
      httpsPort,
      httpPort: Number(env.HTTP_REDIRECT_PORT ?? 8088),
      gateway: `127.0.0.1:${port}`,
      livekit: `127.0.0.1:${new URL(livekit.url!).port || 7880}`,
      dataDir: path.join(dataDir, 'caddy'),
      logFile: path.join(dataDir, 'caddy.log'),
    }),
  ).catch(async (err: Error): Promise<undefined> => {
    log(`${err.message}; see docs/setup.md ("Phones on the LAN")`);
    await stopAll(1);
  });
}
run('gateway', 'gateway/src/main.ts', {
  ...shared,
  ...(lanUrl ? { PUBLIC_URL: lanUrl, LIVEKIT_PUBLIC_URL: lanUrl.replace('https:', 'wss:') } : {}),
  PORT: String(port),
  DATA_DIR: dataDir,
  SESSION_SECRET: env.SESSION_SECRET ?? secrets.session,
});
run('agent worker', 'agent/src/main.ts', {
  ...shared,
  GATEWAY_URL: `http://127.0.0.1:${port}`,
  AGENT_HEALTH_PORT: env.AGENT_HEALTH_PORT ?? '8081',
});

const url = lanUrl ?? env.PUBLIC_URL ?? `http://${env.HOST ?? '127.0.0.1'}:${port}`;
type Readiness = { status: string; components: Record<string, { status: string; detail?: string }> };
/**
 * Waits for /readyz. Missing speech engines do not hold the start back: everything else being up,
 * the platform is usable enough to show the page that says what is missing.
 */
const readiness = await step('starting the gateway (database migrations) and the agent worker', async () => {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    const body = (await res?.json().catch(() => null)) as Readiness | null;
    const down = Object.entries(body?.components ?? {}).filter(([, c]) => c.status !== 'ok');
    if (body && down.every(([name]) => name === 'speech')) return body;
    if (Date.now() > deadline) {
      log(`not ready after 120 s: ${body ? JSON.stringify(body.components) : 'gateway not answering'}`);
      return body;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
});
const local = [
  providers.stt === 'local' && 'speech recognition',
  providers.llm === 'offline' && 'language model',
  providers.tts === 'local' && 'speech synthesis',
].filter(Boolean);
log(`providers: STT ${providers.stt}, LLM ${providers.llm} (${providers.llmModel}), TTS ${providers.tts}`);
if (local.length)
  log(`no keys for: ${local.join(', ')} — using local providers (see docs/offline-mode.md to plug in real ones)`);
const speech = readiness?.components.speech;
if (speech && speech.status !== 'ok') log(`CALLS CANNOT WORK YET: ${speech.detail}`);
if (caddy) {
  log(`HTTPS for other devices: ${lanUrl} (certificate from Caddy's own authority)`);
  log(`  trust it once on each phone: copy ${caddy.rootCertificate} to it, then`);
  log('  iPhone: open the file, Settings › General › VPN & Device Management › install, then');
  log('          Settings › General › About › Certificate Trust Settings › turn on full trust');
  log('  Android: Settings › Security › Encryption & credentials › Install a certificate › CA certificate');
}
log(`ready in ${seconds(startedAt)}: open ${url}  (Ctrl-C stops everything)`);
