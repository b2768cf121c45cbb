import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface CaddyOptions {
  /** Names (or IP addresses) the certificate covers, e.g. the LAN address and `parley.localhost`. */
  names: string[];
  httpsPort: number;
  /** Port for Caddy's HTTP→HTTPS redirects. */
  httpPort: number;
  /** host:port of the gateway (page, API, transcript WebSocket). */
  gateway: string;
  /** host:port of LiveKit's signalling (the browser connects to <url>/rtc). */
  livekit: string;
  /** Caddy's storage (its local CA, certificates) and config live here. */
  dataDir: string;
  logFile?: string;
}

/**
 * A Caddyfile serving Parley over HTTPS with Caddy's own CA (`tls internal`): LiveKit's signalling
 * under /rtc, everything else to the gateway. deploy/Caddyfile is the public-name equivalent.
 */
export function lanCaddyfile(o: CaddyOptions): string {
  const sites = o.names.map((n) => `https://${n}:${o.httpsPort}`).join(', ');
  return [
    '{',
    '\tadmin off',
    // Never touch the system trust store: people trust the root on their devices (docs/setup.md).
    '\tskip_install_trust',
    `\thttp_port ${o.httpPort}`,
    `\thttps_port ${o.httpsPort}`,
    '}',
    `${sites} {`,
    '\ttls internal',
    '\thandle /rtc* {',
    `\t\treverse_proxy ${o.livekit}`,
    '\t}',
    '\thandle {',
    `\t\treverse_proxy ${o.gateway}`,
    '\t}',
    '}',
    // Caddy's automatic redirect drops a non-standard HTTPS port; say it explicitly.
    `${o.names.map((n) => `http://${n}:${o.httpPort}`).join(', ')} {`,
    `\tredir https://{host}:${o.httpsPort}{uri} 308`,
    '}',
    '',
  ].join('\n');
}

export interface RunningCaddy {
  url: string;
  /** Caddy's local root certificate: what a phone or browser must trust. */
  rootCertificate: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Runs Debian's `caddy` with {@link lanCaddyfile}; resolves once it answers on the HTTPS port. */
export async function startCaddy(o: CaddyOptions): Promise<RunningCaddy> {
  mkdirSync(o.dataDir, { recursive: true });
  const config = path.join(o.dataDir, 'Caddyfile');
  writeFileSync(config, lanCaddyfile(o));
  const out = o.logFile ? openSync(o.logFile, 'a') : 'ignore';
  const child = spawn('caddy', ['run', '--adapter', 'caddyfile', '--config', config], {
    // Caddy keeps its CA and certificates under $XDG_DATA_HOME/caddy.
    env: { ...process.env, XDG_DATA_HOME: o.dataDir, XDG_CONFIG_HOME: o.dataDir, HOME: o.dataDir },
    stdio: ['ignore', out, out],
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error('caddy is not installed (apt-get install caddy)')
          : err,
      ),
    );
    child.once('exit', (code) => reject(new Error(`caddy exited with code ${code} (config ${config})`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const rootCertificate = path.join(o.dataDir, 'caddy/pki/authorities/local/root.crt');
  const up = (async () => {
    const { connect } = await import('node:net');
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(o.httpsPort, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        }).once('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await Promise.race([up, failed]);
  failed.catch(() => undefined);
  return {
    url: `https://${o.names[0]}:${o.httpsPort}`,
    rootCertificate,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
