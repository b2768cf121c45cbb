import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { haproxyBinary, haproxyConfig } from './cluster';

describe('the cluster harness haproxy configuration', () => {
  it('is accepted by haproxy -c: gateways and LiveKit health-checked, each worker preferring its own node', () => {
    const cfg = haproxyConfig({
      gatewayPort: 18080,
      livekitPort: 17800,
      workerPorts: [17801, 17802],
      gateways: [18081, 18082],
      nodes: [17880, 17890],
    });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-haproxy-'));
    try {
      writeFileSync(path.join(dir, 'haproxy.cfg'), cfg);
      const r = spawnSync(haproxyBinary(), ['-c', '-f', path.join(dir, 'haproxy.cfg')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(cfg).toContain('server lk1 127.0.0.1:17880 check inter 500 fall 2 rise 2\n');
    expect(cfg).toMatch(
      /backend livekit_w2\n {2}option httpchk GET \/\n {2}server lk1 127\.0\.0\.1:17880 .* backup\n {2}server lk2 127\.0\.0\.1:17890 check inter 500 fall 2 rise 2\n/,
    );
  });
});
