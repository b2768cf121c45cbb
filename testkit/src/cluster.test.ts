import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterTimeline, haproxyBinary, haproxyConfig, type Cluster } from './cluster';

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

describe('the cluster timeline a failed fault round prints', () => {
  it('merges every worker and gateway log in time order, from the round on, without per-window noise', () => {
    const line = (time: number, msg: string, extra: Record<string, unknown> = {}) =>
      `${JSON.stringify({ level: 30, time, pid: 7, hostname: 'vm', msg, ...extra })}\n`;
    const cluster = {
      workers: [
        {
          name: 'worker-1',
          process: {
            // A log line split over two chunks, as a pipe delivers it.
            output: [
              line(900, 'received job request'),
              line(1200, 'left the room', { reason: 'CLIENT_INITIATED' }).slice(0, 20),
              line(1200, 'left the room', { reason: 'CLIENT_INITIATED' }).slice(20),
            ],
          },
        },
        {
          name: 'worker-2',
          process: {
            output: [
              line(1100, 'VAD inference is slower than realtime', { level: 40 }),
              line(1150, 'call resumed by a replacement agent', { conversationId: 'c1' }),
            ],
          },
        },
      ],
      gateways: [
        {
          output: ['not json\n', line(1050, 'agent lost mid-call; re-dispatched', { service: 'gateway', attempt: 1 })],
        },
      ],
    } as unknown as Cluster;
    expect(clusterTimeline(cluster, 1000).split('\n')).toEqual([
      '00:00:01.050 gateway-1 agent lost mid-call; re-dispatched {"pid":7,"attempt":1}',
      '00:00:01.150 worker-2 call resumed by a replacement agent {"pid":7,"conversationId":"c1"}',
      '00:00:01.200 worker-1 left the room {"pid":7,"reason":"CLIENT_INITIATED"}',
    ]);
    expect(clusterTimeline(cluster, 0, 2).split('\n')).toEqual([
      '(2 earlier lines left out)',
      '00:00:01.150 worker-2 call resumed by a replacement agent {"pid":7,"conversationId":"c1"}',
      '00:00:01.200 worker-1 left the room {"pid":7,"reason":"CLIENT_INITIATED"}',
    ]);
  });
});
