import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

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
});
