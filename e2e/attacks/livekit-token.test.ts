/**
 * What a caller can do with the LiveKit token from POST /api/calls, against a real LiveKit server:
 * re-signing it with guessable secrets to escalate, calling the server API with it (kick the agent,
 * rename itself, delete or create rooms) and spoofing participant attributes such as the agent's
 * state. (Room-claim forgery and the exact grant are asserted in gateway/src/calls/calls.test.ts.)
 */
import { dispose, Room, RoomEvent } from '@livekit/rtc-node';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLivekitServer, type RunningLivekitServer } from '@parley/tools';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { participantToken } from '@parley/testkit/livekit';
import { registerUser } from './support';

let lk: RunningLivekitServer;
let gw: TestGateway;
const rooms: Room[] = [];
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

beforeAll(async () => {
  lk = await startLivekitServer();
  gw = await startTestGateway({
    env: { LIVEKIT_URL: lk.url, LIVEKIT_API_KEY: lk.apiKey, LIVEKIT_API_SECRET: lk.apiSecret },
  });
}, 60_000);
afterAll(async () => {
  for (const r of rooms) await r.disconnect().catch(() => undefined);
  await gw?.stop();
  await lk?.stop();
  await dispose();
});

async function join(url: string, token: string) {
  const room = new Room();
  rooms.push(room);
  await room.connect(url, token, { autoSubscribe: false, dynacast: false });
  return room;
}

describe('the caller token cannot be escalated', () => {
  it('re-signed with guessable secrets and admin grants, it is refused by the server', async () => {
    const u = await registerUser(gw, 'lk');
    const call = (await u.client.post('/api/calls', {})).body;
    const mine = claims(call.token);
    for (const [key, secret] of [
      ['devkey', 'secret'],
      [lk.apiKey, 'secret'],
      [lk.apiKey, 'parley-development-only-secret-do-not-use-in-production'],
      [lk.apiKey, ''.padEnd(32, '0')],
    ] as const) {
      const at = new AccessToken(key, secret, { identity: mine.sub, ttl: 600 });
      at.addGrant({
        room: call.room,
        roomJoin: true,
        roomAdmin: true,
        roomCreate: true,
        roomList: true,
        canPublish: true,
        canSubscribe: true,
        canUpdateOwnMetadata: true,
      });
      const forged = await at.toJwt();
      await expect(join(call.url, forged), `${key}/${secret}`).rejects.toThrow();
      const api = await fetch(`${lk.httpUrl}/twirp/livekit.RoomService/ListRooms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${forged}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(api.status).toBe(401);
    }
  });

  it('used against the server API it can neither kick the agent, rename itself, nor delete or create rooms', async () => {
    const u = await registerUser(gw, 'lk2');
    const call = (await u.client.post('/api/calls', {})).body;
    const caller = await join(call.url, call.token);
    const agent = await join(lk.url, await participantToken(lk, 'agent-fake', call.room));
    const api = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    const twirp = (method: string, body: unknown) =>
      fetch(`${lk.httpUrl}/twirp/livekit.RoomService/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${call.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.status);
    const attempts: Record<string, unknown> = {
      RemoveParticipant: { room: call.room, identity: 'agent-fake' },
      UpdateParticipant: {
        room: call.room,
        identity: claims(call.token).sub,
        permission: { canPublish: true, canSubscribe: true, canPublishData: true, canUpdateMetadata: true },
        name: 'Parley',
      },
      MutePublishedTrack: { room: call.room, identity: 'agent-fake', track_sid: 'TR_x', muted: true },
      SendData: { room: call.room, data: Buffer.from('spoof').toString('base64'), kind: 0, topic: 'lk.transcription' },
      DeleteRoom: { room: call.room },
      CreateRoom: { name: 'attacker-room' },
      ListParticipants: { room: call.room },
    };
    for (const [method, body] of Object.entries(attempts)) {
      const status = await twirp(method, body);
      expect([401, 403], method).toContain(status);
    }
    const identities = (await api.listParticipants(call.room)).map((p) => p.identity).sort();
    expect(identities).toEqual(['agent-fake', claims(call.token).sub].sort());
    expect((await api.listRooms()).map((r) => r.name)).not.toContain('attacker-room');

    // Spoofing the agent's state attribute from the caller's own connection changes nothing others see.
    let spoofed = false;
    agent.on(RoomEvent.ParticipantAttributesChanged, (changed) => {
      if ('lk.agent.state' in changed) spoofed = true;
    });
    await caller.localParticipant!.setAttributes({ 'lk.agent.state': 'speaking' }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1500));
    expect(spoofed).toBe(false);
    const seen = (await api.listParticipants(call.room)).find((p) => p.identity === claims(call.token).sub);
    expect(seen?.attributes?.['lk.agent.state']).toBeUndefined();
  });
});
