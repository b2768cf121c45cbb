import { dispose, Room } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLivekitServer, type LivekitServerOptions, type RunningLivekitServer } from '@parley/tools';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { createUser, signedInClient } from '@parley/testkit/accounts';
import { ingest, openTranscript } from '@parley/testkit/calls';

/**
 * Calls nobody comes back to (calls/abandoned.ts): the LiveKit server hosting two live calls is
 * SIGKILLed (no webhook can say anyone left) and started again. One caller gives up; the other's
 * SDK re-joins by itself. With CALLER_GONE_SECONDS=2 the gateway ends the first call as
 * caller_left, its end set to when it was first seen without a caller (so its minutes stop
 * there), and leaves the second one alone.
 */

const GRACE_MS = 2000;
let lk: RunningLivekitServer;
let lkOptions: LivekitServerOptions;
let gw: TestGateway;
const rooms: Room[] = [];

beforeAll(async () => {
  const port = await freePort();
  lkOptions = {
    port: await freePort(),
    rtcTcpPort: await freePort(),
    webhookUrls: [`http://127.0.0.1:${port}/internal/livekit/webhook`],
  };
  lk = await startLivekitServer(lkOptions);
  gw = await startTestGateway({
    env: {
      PORT: String(port),
      LIVEKIT_URL: lk.url,
      LIVEKIT_API_KEY: lk.apiKey,
      LIVEKIT_API_SECRET: lk.apiSecret,
      CALLER_GONE_SECONDS: String(GRACE_MS / 1000),
    },
  });
});
afterAll(async () => {
  for (const r of rooms) await withTimeout(r.disconnect(), 5000);
  await gw?.stop();
  await lk?.stop();
  await dispose();
});

const withTimeout = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, ms))]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function liveCall() {
  const client = await signedInClient(gw, await createUser(gw));
  const call = (await client.post('/api/calls', {})).body;
  const socket = await openTranscript(gw.url, call.conversationId, { cookie: client.cookieHeader() });
  await socket.next('snapshot');
  const room = new Room();
  rooms.push(room);
  await room.connect(lk.url, call.token, { autoSubscribe: false, dynacast: false });
  expect(
    (await ingest(gw.url, call.conversationId, [{ type: 'call_started', at: new Date().toISOString() }])).status,
  ).toBe(200);
  return { client, call, socket, room };
}

async function callerIdentities(room: string): Promise<string[]> {
  const participants = await new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret)
    .listParticipants(room)
    .catch(() => []);
  return participants.map((p) => p.identity);
}

describe('a live call whose caller never comes back', () => {
  it('is ended by the gateway after the grace period (caller_left, minutes counted up to when the caller went); a call whose caller is back stays live', async () => {
    const gone = await liveCall();
    const back = await liveCall();
    // Callers in their rooms longer than the grace period: nothing is ended.
    await sleep(GRACE_MS * 1.5 + 500);
    for (const c of [gone, back]) {
      expect((await c.client.get(`/api/calls/${c.call.conversationId}`)).body.status).toBe('active');
      expect(await callerIdentities(c.call.room)).toHaveLength(1);
    }
    const usageBefore = (await gone.client.get('/api/me/usage')).body;
    expect(usageBefore).toMatchObject({ calls: 1, minutesTalked: 0 });

    // The server dies with both callers in their rooms: no webhook will say anyone left.
    const exited = new Promise((r) => lk.process.once('exit', r));
    lk.process.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    // One caller gives up (closes the page); the other's SDK keeps trying.
    await withTimeout(gone.room.disconnect(), 3000);
    lk = await startLivekitServer(lkOptions);

    // The other caller is back in a room of the same name on the restarted server.
    const deadline = Date.now() + 30_000;
    while ((await callerIdentities(back.call.room)).length === 0 && Date.now() < deadline) await sleep(200);
    expect(await callerIdentities(back.call.room)).toHaveLength(1);

    const ended = await gone.socket.next('call_ended', 15_000 + GRACE_MS * 3);
    const noticedAt = Date.now();
    expect(ended.reason).toBe('caller_left');
    expect((await gone.client.get(`/api/calls/${gone.call.conversationId}`)).body).toEqual({
      conversationId: gone.call.conversationId,
      status: 'ended',
      endReason: 'caller_left',
    });
    const row = await gw.database.db('conversations').where({ id: gone.call.conversationId }).first();
    const endedAt = new Date(row.ended_at).getTime();
    // The end is when the call was first seen without its caller, not when the gateway gave up on it.
    expect(endedAt).toBeGreaterThanOrEqual(killedAt - 1000);
    expect(noticedAt - endedAt).toBeGreaterThanOrEqual(GRACE_MS);
    expect(Math.abs(row.duration_ms - (endedAt - new Date(row.started_at).getTime()))).toBeLessThanOrEqual(1);
    // Usage counts the call's time up to then.
    const usage = (await gone.client.get('/api/me/usage')).body;
    expect(usage).toMatchObject({ calls: 1, minutesTalked: Math.round(row.duration_ms / 6000) / 10 });
    expect(usage.minutesTalked).toBeGreaterThan(0);

    // The call whose caller came back is still live, well past the grace period.
    await sleep(GRACE_MS * 1.5 + 500);
    expect((await back.client.get(`/api/calls/${back.call.conversationId}`)).body.status).toBe('active');
    expect(back.socket.queued().filter((m) => m.type === 'call_ended')).toEqual([]);
    gone.socket.ws.close();
    back.socket.ws.close();
  });
});
