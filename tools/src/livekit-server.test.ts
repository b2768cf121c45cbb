import { mkdtempSync, readdirSync, rmSync, watch } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { RoomServiceClient } from 'livekit-server-sdk';
import { startLivekitServer, type RunningLivekitServer } from './livekit-server';
import { freeStablePort } from './ports';
import type * as Ports from './ports';

// Ports freePort() hands out next, before it picks its own: lets a test give the server a port that
// another process takes between the pick and the server binding it (the race of a parallel run).
const planted = vi.hoisted(() => ({ ports: [] as number[], picks: [] as number[] }));
vi.mock('./ports', async (actual) => {
  const ports = await actual<typeof Ports>();
  return {
    ...ports,
    freePort: async () => {
      const port = planted.ports.shift() ?? (await ports.freePort());
      planted.picks.push(port);
      return port;
    },
  };
});

describe('local livekit-server', () => {
  let lk: RunningLivekitServer | undefined;
  afterAll(async () => lk?.stop());

  it('starts the pinned server on its own ports, answers the API, and stops cleanly', async () => {
    lk = await startLivekitServer();
    const rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    await rooms.createRoom({ name: 'probe-room' });
    expect((await rooms.listRooms()).map((r) => r.name)).toContain('probe-room');
    const pid = lk.process.pid!;
    await lk.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    lk = undefined;
  });

  it('says why the server would not start: its port taken, the server’s own message in the error; leaves no temporary folder', async () => {
    // A port below the ephemeral range, as the restarted cluster nodes get.
    const port = await freeStablePort();
    expect(port).toBeLessThan(32768);
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    // The server's config and log go to a folder under os.tmpdir(): this test's own, to see it emptied.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'parley-lk-test-'));
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const made: string[] = [];
      const watcher = watch(tmp, (event, name) => event === 'rename' && name && made.push(name));
      await expect(startLivekitServer({ port })).rejects.toThrow(/exited with code 0 .*address already in use/s);
      watcher.close();
      expect(made.some((name) => name.startsWith('parley-livekit-'))).toBe(true); // its folder was there
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
      holder.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('starts again on fresh ports when a port it picked is taken before the server binds it', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    // The media TCP port, bound on all addresses by the server: the one a parallel run lost.
    planted.ports.push(await freeStablePort(), taken);
    planted.picks.length = 0;
    try {
      lk = await startLivekitServer();
      expect(planted.picks.slice(0, 2)[1]).toBe(taken); // the first start was given the taken port
      expect(planted.picks.length).toBe(4); // and a second start picked two fresh ones
      expect(planted.picks.slice(2)).not.toContain(taken);
      const rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
      await rooms.createRoom({ name: 'after-retry' });
      expect((await rooms.listRooms()).map((r) => r.name)).toContain('after-retry');
      await lk.stop();
      lk = undefined;
    } finally {
      holder.close();
    }
  });
});
