/**
 * Runs the whole platform on one machine: LiveKit server (unless LIVEKIT_URL is set), gateway
 * (serving the built web client) and agent worker. Ctrl-C stops every child it started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ProviderEnv, resolveProviders } from '@parley/protocol';
import { startLivekitServer, type RunningLivekitServer } from '@parley/tools';

const root = path.resolve(import.meta.dirname, '..');
process.chdir(root);
if (existsSync('.env')) process.loadEnvFile('.env');

const env = process.env;
const port = Number(env.PORT ?? 8080);
const dataDir = path.resolve(env.DATA_DIR ?? '.data');
mkdirSync(dataDir, { recursive: true });
const log = (msg: string) => console.log(`[parley] ${msg}`);

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

function buildWebIfStale() {
  const index = 'web/dist/index.html';
  const stale =
    !existsSync(index) ||
    newestMtime('web/src') > statSync(index).mtimeMs ||
    newestMtime('protocol/src') > statSync(index).mtimeMs;
  if (!stale) return;
  log('building the web client…');
  const r = spawnSync('npm', ['run', 'build', '-w', 'web', '--silent'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('web build failed');
}

const children: ChildProcess[] = [];
let lk: RunningLivekitServer | undefined;
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
let livekit = { url: env.LIVEKIT_URL, apiKey: env.LIVEKIT_API_KEY, apiSecret: env.LIVEKIT_API_SECRET };
if (!livekit.url) {
  log('starting the local LiveKit server…');
  lk = await startLivekitServer({
    port: Number(env.LIVEKIT_PORT ?? 7880),
    rtcTcpPort: Number(env.LIVEKIT_RTC_TCP_PORT ?? 7881),
    udpPortStart: Number(env.LIVEKIT_UDP_PORT_START ?? 50000),
    udpPortCount: 200,
    apiKey: 'parley-local',
    apiSecret: secrets.livekit,
    webhookUrls: [`http://127.0.0.1:${port}/internal/livekit/webhook`],
    logFile: path.join(dataDir, 'livekit.log'),
  });
  livekit = { url: lk.url, apiKey: lk.apiKey, apiSecret: lk.apiSecret };
  log(`LiveKit server ${lk.url} (log: ${path.relative(root, dataDir)}/livekit.log)`);
}
buildWebIfStale();

const shared = {
  LIVEKIT_URL: livekit.url!,
  LIVEKIT_API_KEY: livekit.apiKey ?? '',
  LIVEKIT_API_SECRET: livekit.apiSecret ?? '',
  INGEST_SECRET: env.INGEST_SECRET ?? secrets.ingest,
};
run('gateway', 'gateway/src/main.ts', {
  ...shared,
  PORT: String(port),
  DATA_DIR: dataDir,
  SESSION_SECRET: env.SESSION_SECRET ?? secrets.session,
});
run('agent worker', 'agent/src/main.ts', {
  ...shared,
  GATEWAY_URL: `http://127.0.0.1:${port}`,
  AGENT_HEALTH_PORT: env.AGENT_HEALTH_PORT ?? '8081',
});

const providers = resolveProviders(ProviderEnv.parse(env));
const url = env.PUBLIC_URL ?? `http://${env.HOST ?? '127.0.0.1'}:${port}`;
const deadline = Date.now() + 120_000;
for (;;) {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
  if (res?.status === 200) break;
  if (Date.now() > deadline) {
    log(`not ready after 120 s: ${res ? await res.text() : 'gateway not answering'}`);
    break;
  }
  await new Promise((r) => setTimeout(r, 500));
}
const local = [
  providers.stt === 'local' && 'speech recognition',
  providers.llm === 'offline' && 'language model',
  providers.tts === 'local' && 'speech synthesis',
].filter(Boolean);
log(`providers: STT ${providers.stt}, LLM ${providers.llm} (${providers.llmModel}), TTS ${providers.tts}`);
if (local.length)
  log(`no keys for: ${local.join(', ')} — using local providers (see docs/offline-mode.md to plug in real ones)`);
log(`ready: open ${url}  (Ctrl-C stops everything)`);
