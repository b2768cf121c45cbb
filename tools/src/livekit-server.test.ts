import { afterAll, describe, expect, it } from 'vitest';
import { RoomServiceClient } from 'livekit-server-sdk';
import { startLivekitServer, type RunningLivekitServer } from './livekit-server';

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
});
