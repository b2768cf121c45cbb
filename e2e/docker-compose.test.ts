import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const compose = (env: Record<string, string>, ...args: string[]) =>
  spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });

const secrets = { LIVEKIT_API_SECRET: 'x'.repeat(40), SESSION_SECRET: 'y'.repeat(40), INGEST_SECRET: 'z'.repeat(40) };

describe('docker-compose.yml', () => {
  it('is a valid compose file with every service, health checks and restart policies', () => {
    const r = compose(secrets, 'config', '-q');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const services = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services'], {
      cwd: root,
      env: { ...process.env, ...secrets },
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .sort();
    expect(services).toEqual(['agent', 'caddy', 'gateway', 'livekit', 'postgres', 'redis']);
    const full = compose(secrets, 'config').stdout;
    expect(full.match(/restart: unless-stopped/g)?.length).toBe(6);
    expect(full.match(/healthcheck:/g)?.length).toBe(4);
    // Only Caddy (HTTPS) and LiveKit's media/TURN ports are published; the gateway sits behind Caddy.
    expect(full).not.toMatch(/published: 8080|8080:8080/);
    expect(full).toMatch(/LIVEKIT_PUBLIC_URL: wss:\/\/localhost/);
  });

  it('refuses to render without the required secrets', () => {
    const r = compose({ LIVEKIT_API_SECRET: '', SESSION_SECRET: '', INGEST_SECRET: '' }, 'config', '-q');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/set (LIVEKIT_API_SECRET|SESSION_SECRET|INGEST_SECRET)/);
  });

  it('has a cluster profile: two LiveKit nodes over one Redis, two gateways and workers behind haproxy', () => {
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.cluster.yml', 'config', '-q'], {
      cwd: root,
      env: { ...process.env, ...secrets },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const services = execFileSync('docker-compose', ['-f', 'docker-compose.cluster.yml', 'config', '--services'], {
      cwd: root,
      env: { ...process.env, ...secrets },
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .sort();
    expect(services).toEqual([
      'agent-a',
      'agent-b',
      'gateway-a',
      'gateway-b',
      'lb',
      'livekit-a',
      'livekit-b',
      'postgres',
      'redis',
    ]);
    const haproxy = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((p) => existsSync(p))!;
    const check = spawnSync(haproxy, ['-c', '-f', 'deploy/haproxy.cfg'], { cwd: root, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });

  it("runs Parley's image the way the production build can: plain node on a compiled entry, in both files", () => {
    for (const file of ['docker-compose.yml', 'docker-compose.cluster.yml']) {
      // docker-compose 1.29 renders YAML only (anchors and merges resolved, variables filled in).
      const rendered = spawnSync('docker-compose', ['-f', file, 'config'], {
        cwd: root,
        env: { ...process.env, ...secrets },
        encoding: 'utf8',
      });
      expect(rendered.status, rendered.stderr).toBe(0);
      const services = Object.entries(
        parse(rendered.stdout).services as Record<string, { image?: string; command?: string[] }>,
      ).filter(([, s]) => s.image === 'parley:latest');
      expect(services.length, file).toBeGreaterThanOrEqual(2);
      for (const [name, service] of services) {
        // No command: the image's CMD (deploy/Dockerfile), which is node gateway/src/main.js.
        const command = service.command ?? ['node', 'gateway/src/main.js'];
        // scripts/build-prod.mjs compiles each src/*.ts to .js and leaves neither tsx nor .ts files in the image.
        expect(command.slice(0, 1), `${file} ${name}`).toEqual(['node']);
        expect(command[1], `${file} ${name}`).toMatch(/^(gateway|agent)\/src\/main\.js$/);
        expect(existsSync(path.join(root, command[1]!.replace(/\.js$/, '.ts'))), `${file} ${name}`).toBe(true);
      }
    }
  });
});
