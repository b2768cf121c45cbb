import { createHash } from 'node:crypto';
import { DisconnectReason, dispose, Room, RoomEvent } from '@livekit/rtc-node';
import { AccessToken, AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLivekitServer, type RunningLivekitServer } from '@parley/tools';
import { DISPATCH_ID_ATTRIBUTE } from '@parley/protocol';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { startHttpFaultProxy } from '@parley/testkit/http-fault-proxy';
import { createUser, signedInClient } from '@parley/testkit/accounts';
import { ingest, openTranscript } from '@parley/testkit/calls';
import { AGENT_EXPECTED_MS, MAX_RECOVERIES } from '../calls/recovery';
import { CALLER_BACK_MS, HANG_UP_GRACE_MS } from './routes';

let lk: RunningLivekitServer;
let gw: TestGateway;
const rooms: Room[] = [];

beforeAll(async () => {
  const port = await freePort();
  lk = await startLivekitServer({ webhookUrls: [`http://127.0.0.1:${port}/internal/livekit/webhook`] });
  gw = await startTestGateway({
    env: { PORT: String(port), LIVEKIT_URL: lk.url, LIVEKIT_API_KEY: lk.apiKey, LIVEKIT_API_SECRET: lk.apiSecret },
  });
});
afterAll(async () => {
  for (const r of rooms) await r.disconnect().catch(() => undefined);
  await gw?.stop();
  await lk?.stop();
  await dispose();
});

async function join(token: string): Promise<Room> {
  const room = new Room();
  rooms.push(room);
  await room.connect(lk.url, token, { autoSubscribe: false, dynacast: false });
  return room;
}

/** What a LiveKit agent worker looks like in the room: identity `agent-<job id>`, kind agent. */
async function fakeAgentToken(
  room: string,
  identity = 'agent-AJ_testjob',
  attributes?: Record<string, string>,
): Promise<string> {
  const at = new AccessToken(lk.apiKey, lk.apiSecret, { identity, ttl: 300, attributes });
  at.kind = 'agent';
  at.addGrant({ room, roomJoin: true, canPublish: true, canSubscribe: true, agent: true });
  return at.toJwt();
}

async function signedWebhook(
  body: string,
  secret = lk.apiSecret,
  sha = createHash('sha256').update(body).digest('base64'),
  to: TestGateway = gw,
) {
  const at = new AccessToken(lk.apiKey, secret, { ttl: 60 });
  at.sha256 = sha;
  return new TestClient(to.url, null).post('/internal/livekit/webhook', undefined, {
    raw: body,
    headers: { 'content-type': 'application/webhook+json', authorization: await at.toJwt() },
  });
}

/** A participant_left webhook body: an agent (`kind: 'AGENT'`) or a caller leaving with `disconnectReason`. */
const participantLeft = (room: string, participant: Record<string, string>, id: string) =>
  JSON.stringify({
    event: 'participant_left',
    room: { name: room },
    participant,
    id,
    createdAt: String(Math.floor(Date.now() / 1000)),
  });

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The agent identities in `room` once only one is left (or whatever is there after 8 s). */
function agentsLeftIn(room: string): Promise<string[]> {
  const rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
  return eventually(
    async () => (await rooms.listParticipants(room)).map((p) => p.identity).filter((i) => i.startsWith('agent-')),
    (ids) => ids.length === 1,
  );
}

/** A signed-in user's started call, its caller in the room and its transcript socket open. */
async function startedCallWithCaller(on: TestGateway = gw) {
  const c = await signedInClient(on, await createUser(on));
  const call = (await c.post('/api/calls', {})).body;
  const ws = await openTranscript(on.url, call.conversationId, { cookie: c.cookieHeader() });
  await ws.next('snapshot');
  await join(call.token);
  await ingest(on.url, call.conversationId, [{ type: 'call_started', at: new Date().toISOString() }]);
  return { c, call, ws };
}

describe('POST /internal/livekit/webhook', () => {
  it('refuses a missing, wrongly signed or tampered webhook with 401', async () => {
    const body = JSON.stringify({ event: 'room_finished', room: { name: 'parley-x' }, id: 'EV_1', createdAt: '1' });
    const none = await new TestClient(gw.url, null).post('/internal/livekit/webhook', undefined, {
      raw: body,
      headers: { 'content-type': 'application/webhook+json' },
    });
    expect(none.status).toBe(401);
    expect((await signedWebhook(body, 'wrong-secret-0123456789abcdefghijklmnop')).status).toBe(401);
    expect(
      (await signedWebhook(body, lk.apiSecret, createHash('sha256').update('other').digest('base64'))).status,
    ).toBe(401);
    expect((await signedWebhook(body)).status).toBe(200);
  });

  it('re-dispatches the agent when it leaves while the caller is still there, and ends the call only after MAX_RECOVERIES', async () => {
    const { c, call, ws } = await startedCallWithCaller();
    const dispatches = new AgentDispatchClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    // Each agent stays until its participant_joined is handled (it ends the recovery under way), as a
    // real one does; one that leaves at once can overtake its own join under load.
    const joinedAWhile = async (identity: string) => {
      const agent = await join(await fakeAgentToken(call.room, identity));
      await new Promise((r) => setTimeout(r, 1000));
      return agent;
    };
    for (let i = 1; i <= MAX_RECOVERIES; i++) {
      const agent = await joinedAWhile(`agent-AJ_lost${i}`);
      await agent.disconnect();
      await ws.next('agent_reconnecting', 8000);
      // The caller's token dispatch, then one more per recovery, all with the call's metadata.
      const made = await eventually(
        () => dispatches.listDispatch(call.room),
        (d) => d.length === i + 1,
      );
      expect(made).toHaveLength(i + 1);
      for (const d of made)
        expect(JSON.parse(d.metadata)).toMatchObject({ conversationId: call.conversationId, guest: false });
      expect((await c.get(`/api/calls/${call.conversationId}`)).body.status).not.toBe('ended');
    }
    const last = await joinedAWhile('agent-AJ_lastone');
    await last.disconnect();
    expect((await ws.next('call_ended', 8000)).reason).toBe('agent_failed');
    const row = await gw.database.db('conversations').where({ id: call.conversationId }).first();
    expect(row).toMatchObject({ status: 'ended', end_reason: 'agent_failed' });
    expect(row.duration_ms).toBeGreaterThanOrEqual(0);
    ws.ws.close();
  });

  it('re-dispatches an agent whose connection aborted (it left before its media connected) while the caller is there', async () => {
    const { c, call, ws } = await startedCallWithCaller();
    // What LiveKit sends, instead of participant_left, for a participant that never became active.
    const body = JSON.stringify({
      event: 'participant_connection_aborted',
      room: { name: call.room },
      participant: { identity: 'agent-AJ_aborted', kind: 'AGENT' },
      id: 'EV_aborted',
      createdAt: '1',
    });
    expect((await signedWebhook(body)).status).toBe(200);
    await ws.next('agent_reconnecting', 8000);
    const dispatches = new AgentDispatchClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    expect(
      await eventually(
        () => dispatches.listDispatch(call.room),
        (d) => d.length === 2,
      ),
    ).toHaveLength(2);
    expect((await c.get(`/api/calls/${call.conversationId}`)).body.status).toBe('active');
    ws.ws.close();
  });

  it('counts two agents lost at once as one loss (one dispatch), and a loss after the new agent joined as another', async () => {
    const { call, ws } = await startedCallWithCaller();
    const dispatches = new AgentDispatchClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    const left = (identity: string) =>
      signedWebhook(participantLeft(call.room, { identity, kind: 'AGENT' }, `EV_${identity}`));
    // Two agents leave the room at the same moment (an old agent and the one replacing it).
    const answers = await Promise.all([left('agent-AJ_pairA'), left('agent-AJ_pairB')]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    await ws.next('agent_reconnecting', 8000);
    const afterPair = await eventually(
      () => dispatches.listDispatch(call.room),
      (d) => d.length > 2,
      2000,
    );
    expect(afterPair).toHaveLength(2); // the caller's token dispatch and one recovery
    expect(ws.queued().filter((m) => m.type === 'agent_reconnecting')).toEqual([]);
    // The recovery's agent joins, then is lost too: a new loss, dispatched again.
    const next = await join(await fakeAgentToken(call.room, 'agent-AJ_next'));
    await new Promise((r) => setTimeout(r, 1000)); // its participant_joined handled
    await next.disconnect();
    await ws.next('agent_reconnecting', 8000);
    expect(
      await eventually(
        () => dispatches.listDispatch(call.room),
        (d) => d.length === 3,
      ),
    ).toHaveLength(3);
    ws.ws.close();
  });

  it('tries a recovery again when its dispatch failed and LiveKit delivers the webhook again', async () => {
    // A gateway whose LiveKit API calls go through a proxy that can refuse CreateDispatch.
    const proxy = await startHttpFaultProxy(lk.httpUrl);
    const gwB = await startTestGateway({
      env: {
        LIVEKIT_URL: proxy.url.replace(/^http/, 'ws'),
        LIVEKIT_API_KEY: lk.apiKey,
        LIVEKIT_API_SECRET: lk.apiSecret,
      },
    });
    try {
      const { call, ws } = await startedCallWithCaller(gwB);
      const dispatches = new AgentDispatchClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
      const body = participantLeft(call.room, { identity: 'agent-AJ_retried', kind: 'AGENT' }, 'EV_retried');
      proxy.failNext('AgentDispatchService/CreateDispatch');
      const first = await signedWebhook(body, undefined, undefined, gwB);
      expect(first.status).toBe(503); // LiveKit retries a webhook that fails
      expect(first.body.error.code).toBe('service_unavailable');
      expect(proxy.failed).toEqual(['/twirp/livekit.AgentDispatchService/CreateDispatch']);
      expect(await dispatches.listDispatch(call.room)).toHaveLength(1); // the caller token's only
      // The same event again: the failed attempt held nothing back, the agent is dispatched.
      const again = await signedWebhook(body, undefined, undefined, gwB);
      expect(again.status).toBe(200);
      expect(
        await eventually(
          () => dispatches.listDispatch(call.room),
          (d) => d.length === 2,
        ),
      ).toHaveLength(2);
      ws.ws.close();
    } finally {
      await gwB.stop();
      await proxy.close();
    }
  });

  it('keeps one agent per room: a second agent that joins later is removed', async () => {
    const c = await signedInClient(gw, await createUser(gw));
    const call = (await c.post('/api/calls', {})).body;
    await join(call.token);
    await join(await fakeAgentToken(call.room, 'agent-AJ_first'));
    await new Promise((r) => setTimeout(r, 1100)); // joinedAt has one-second resolution
    await join(await fakeAgentToken(call.room, 'agent-AJ_second'));
    const left = await agentsLeftIn(call.room);
    expect(left).toEqual(['agent-AJ_first']);
  });

  it("keeps the agent of the room's own dispatch over an earlier-joined one whose dispatch the room no longer has", async () => {
    // A LiveKit node died: the lost agent re-joined the room rebuilt on a live node (first), the
    // room's dispatch ran again and its agent joined (second); LiveKit lists no job for either yet.
    const c = await signedInClient(gw, await createUser(gw));
    const call = (await c.post('/api/calls', {})).body;
    await join(call.token);
    const dispatches = await new AgentDispatchClient(lk.httpUrl, lk.apiKey, lk.apiSecret).listDispatch(call.room);
    expect(dispatches).toHaveLength(1);
    expect(dispatches[0]!.state?.jobs ?? []).toEqual([]);
    await join(await fakeAgentToken(call.room, 'agent-AJ_lost', { [DISPATCH_ID_ATTRIBUTE]: 'AD_goneWithTheNode' }));
    await new Promise((r) => setTimeout(r, 1100)); // joinedAt has one-second resolution
    await join(await fakeAgentToken(call.room, 'agent-AJ_rerun', { [DISPATCH_ID_ATTRIBUTE]: dispatches[0]!.id }));
    const left = await agentsLeftIn(call.room);
    expect(left).toEqual(['agent-AJ_rerun']);
  });

  it("keeps the call when the caller's session is replaced by its own rejoin (DUPLICATE_IDENTITY), and ends it when the caller leaves", async () => {
    const { c, call, ws } = await startedCallWithCaller();
    const first = rooms.at(-1)!;
    const replaced = new Promise<DisconnectReason | undefined>((r) => first.once(RoomEvent.Disconnected, r));
    // The caller joins again with its token (a full reconnect): LiveKit closes the first session.
    const second = await join(call.token);
    expect(await replaced).toBe(DisconnectReason.DUPLICATE_IDENTITY);
    // LiveKit sends participant_left for the replaced session; the same event delivered here too,
    // so it has certainly been handled when the status is read.
    const identity = second.localParticipant!.identity;
    const body = participantLeft(
      call.room,
      { sid: 'PA_replaced', identity, disconnectReason: 'DUPLICATE_IDENTITY' },
      'EV_dup',
    );
    expect((await signedWebhook(body)).status).toBe(200);
    expect((await c.get(`/api/calls/${call.conversationId}`)).body.status).toBe('active');
    await second.disconnect();
    expect((await ws.next('call_ended', 8000)).reason).toBe('caller_left');
    ws.ws.close();
  });

  it('after a caller session closed without a hang-up, ends the call only if no caller is back CALLER_BACK_MS later', async () => {
    // A LiveKit node died: the caller's SDK re-joined through a signalling request that timed out
    // and LiveKit closed that session (SIGNAL_CLOSE) while the SDK joined again.
    const dropped = (room: string, identity: string) =>
      signedWebhook(
        participantLeft(room, { sid: `PA_${identity}`, identity, disconnectReason: 'SIGNAL_CLOSE' }, `EV_drop_${room}`),
      );
    const back = await startedCallWithCaller(); // its caller is in the room again
    const gone = await signedInClient(gw, await createUser(gw)); // its caller never comes back
    const goneCall = (await gone.post('/api/calls', {})).body;
    const goneWs = await openTranscript(gw.url, goneCall.conversationId, { cookie: gone.cookieHeader() });
    await goneWs.next('snapshot');
    await ingest(gw.url, goneCall.conversationId, [{ type: 'call_started', at: new Date().toISOString() }]);
    const at = Date.now();
    expect((await dropped(back.call.room, 'user-back')).status).toBe(200);
    expect((await dropped(goneCall.room, 'user-gone')).status).toBe(200);
    expect((await gone.get(`/api/calls/${goneCall.conversationId}`)).body.status).toBe('active');
    expect((await goneWs.next('call_ended', CALLER_BACK_MS + 5000)).reason).toBe('caller_left');
    expect(Date.now() - at).toBeGreaterThanOrEqual(CALLER_BACK_MS);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await back.c.get(`/api/calls/${back.call.conversationId}`)).body.status).toBe('active');
    expect(back.ws.queued().filter((m) => m.type === 'call_ended')).toEqual([]);
    back.ws.ws.close();
    goneWs.ws.close();
  });

  it('after a hang-up (CLIENT_INITIATED), keeps the call if a caller is back HANG_UP_GRACE_MS later, else ends it dated at the hang-up', async () => {
    // A caller's SDK re-joining after its LiveKit node died closed a half-made session that way and
    // joined again 1.3 s later: its caller is in the room when the grace is over.
    const back = await startedCallWithCaller();
    const hungUp = participantLeft(
      back.call.room,
      { sid: 'PA_half_made', identity: 'user-back', disconnectReason: 'CLIENT_INITIATED' },
      'EV_half_made',
    );
    expect((await signedWebhook(hungUp)).status).toBe(200);
    // A real hang-up: the caller leaves (LiveKit's own webhook) and nobody comes back.
    const gone = await startedCallWithCaller();
    const leftAt = Date.now();
    await rooms.at(-1)!.disconnect();
    expect((await gone.ws.next('call_ended', HANG_UP_GRACE_MS + 5000)).reason).toBe('caller_left');
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(HANG_UP_GRACE_MS);
    const row = await gw.database.db('conversations').where({ id: gone.call.conversationId }).first();
    expect(Math.abs(new Date(row.ended_at).getTime() - leftAt)).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 500));
    expect((await back.c.get(`/api/calls/${back.call.conversationId}`)).body.status).toBe('active');
    expect(back.ws.queued().filter((m) => m.type === 'call_ended')).toEqual([]);
    back.ws.ws.close();
    gone.ws.ws.close();
  });

  it('ends a guest call with caller_left when the caller leaves, without touching the database', async () => {
    const guest = new TestClient(gw.url);
    const call = (await guest.post('/api/calls', {})).body;
    const caller = await join(call.token);
    await caller.disconnect();
    const status = await eventually(
      () => guest.get(`/api/calls/${call.conversationId}`),
      (r) => r.body.status === 'ended',
    );
    expect(status.body).toEqual({ conversationId: call.conversationId, status: 'ended', endReason: 'caller_left' });
    expect(await gw.database.db('conversations').where({ room: call.room }).first()).toBeUndefined();
  });

  it("keeps the agent's own end reason: the first end wins over later LiveKit events", async () => {
    const c = await signedInClient(gw, await createUser(gw));
    const call = (await c.post('/api/calls', {})).body;
    await join(call.token);
    await ingest(gw.url, call.conversationId, [
      { type: 'call_ended', at: new Date().toISOString(), reason: 'agent_ended' },
    ]);
    await new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret).deleteRoom(call.room);
    // And a room_finished delivered for certain (the real one races with this assertion).
    const body = JSON.stringify({ event: 'room_finished', room: { name: call.room }, id: 'EV_3', createdAt: '1' });
    expect((await signedWebhook(body)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect((await c.get(`/api/calls/${call.conversationId}`)).body.endReason).toBe('agent_ended');
  });

  it('maps room_finished to room_closed', async () => {
    const c = await signedInClient(gw, await createUser(gw));
    const call = (await c.post('/api/calls', {})).body;
    const body = JSON.stringify({
      event: 'room_finished',
      room: { name: call.room },
      id: 'EV_2',
      createdAt: String(Math.floor(Date.now() / 1000)),
    });
    expect((await signedWebhook(body)).status).toBe(200);
    expect((await c.get(`/api/calls/${call.conversationId}`)).body).toEqual({
      conversationId: call.conversationId,
      status: 'ended',
      endReason: 'room_closed',
    });
  });

  it('dispatches an agent when a caller joins a started call and finds none there after AGENT_EXPECTED_MS; not when one is there', async () => {
    const dispatches = new AgentDispatchClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    const started = async () => {
      const c = await signedInClient(gw, await createUser(gw));
      const call = (await c.post('/api/calls', {})).body;
      await ingest(gw.url, call.conversationId, [{ type: 'call_started', at: new Date().toISOString() }]);
      return { c, call };
    };
    // With its agent (as after an ordinary reconnection); joined first, so its check has run by the
    // time the lonely room's has.
    const served = await started();
    await join(await fakeAgentToken(served.call.room, 'agent-AJ_serving'));
    await join(served.call.token);
    // Alone in the room (as after a rejoin that recreated it while no worker was registered).
    const lonely = await started();
    const ws = await openTranscript(gw.url, lonely.call.conversationId, { cookie: lonely.c.cookieHeader() });
    await ws.next('snapshot');
    const joining = Date.now();
    await join(lonely.call.token);
    // Only the token's dispatch until the check, AGENT_EXPECTED_MS after the join's webhook (which
    // comes after `joining`): looked at 2 s before, however long the set-up took on a loaded machine.
    await new Promise((r) => setTimeout(r, Math.max(0, joining + AGENT_EXPECTED_MS - 2000 - Date.now())));
    expect(await dispatches.listDispatch(lonely.call.room)).toHaveLength(1);
    await ws.next('agent_reconnecting', 6000);
    const made = await eventually(
      () => dispatches.listDispatch(lonely.call.room),
      (d) => d.length === 2,
    );
    expect(made.map((d) => JSON.parse(d.metadata))).toEqual([
      expect.objectContaining({ conversationId: lonely.call.conversationId }),
      expect.objectContaining({ conversationId: lonely.call.conversationId }),
    ]);
    expect(await dispatches.listDispatch(served.call.room)).toHaveLength(1);
    ws.ws.close();
  });
});
