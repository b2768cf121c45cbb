import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomServiceClient } from 'livekit-server-sdk';
import { CALL_MEDIA_BIND_MS } from '@parley/protocol';
import { isAlive, synthesizeSpeechWav } from '@parley/testkit';
import {
  agentJobPid,
  LiveMicrophone,
  rejoinOnDisconnect,
  startCall,
  waitForAgentState,
  type Caller,
} from '@parley/testkit/caller';
import { startSignalProxy, type SignalProxy } from '@parley/testkit/signal-proxy';
import { startStack, type Stack } from '@parley/testkit/stack';
import { waitFor } from './helpers';

const QUESTION = 'Are you still there after all that?';
const REPLY = 'Yes, I am still here with you.';

/**
 * A caller's session that stays joined but whose media with the agent never connects (after a
 * LiveKit node died, its SDK's own reconnection once joined the recreated room with its media never
 * negotiated, and LiveKit does not repair that): the client joins again with a fresh token once the
 * agent's audio, or its own microphone, has stayed unconnected for CALL_MEDIA_BIND_MS. The caller
 * signals through a proxy (LIVEKIT_PUBLIC_URL) which, while the call is up, stops passing LiveKit's
 * media negotiation to it; then the agent's job is killed (its replacement publishes into that
 * session), or the caller publishes its microphone again. A guest's rejoin keeps its identity, so
 * the new join replaces the half set-up session, and the call goes on.
 */
describe('a caller whose media with the agent never connects', () => {
  let proxy: SignalProxy & { target: string | null };
  let stack: Stack;
  const callers: Caller[] = [];

  beforeAll(async () => {
    proxy = await startSignalProxy();
    stack = await startStack({
      gatewayEnv: { LIVEKIT_PUBLIC_URL: proxy.url },
      deepgram: { transcripts: [QUESTION, QUESTION] },
      openai: { ttftMs: 50, reply: () => REPLY },
    });
    proxy.target = stack.env.LIVEKIT_URL!;
  }, 120_000);

  afterAll(async () => {
    for (const c of callers) await c.hangUp().catch(() => undefined);
    await stack?.stop();
    await proxy?.close();
  });

  /**
   * A guest's call through the proxy, its greeting heard, the test caller's rejoin watching; and no
   * rejoin while the media is connected both ways (CALL_MEDIA_BIND_MS and more go by).
   */
  async function healthyCall() {
    const client = stack.client(); // a guest
    const caller = await startCall(client);
    callers.push(caller);
    const tracker = rejoinOnDisconnect(caller, client);
    const joinedAt = Date.now();
    expect(caller.call.url).toBe(proxy.url);
    await caller.agentAudio.firstVoicedAfter(0, 30_000); // the greeting, through the proxy
    await waitForAgentState(caller, 'listening', 30_000);
    await new Promise((r) => setTimeout(r, Math.max(0, joinedAt + CALL_MEDIA_BIND_MS + 2000 - Date.now())));
    expect(tracker.rejoins).toEqual([]);
    return { client, caller, tracker };
  }

  /** The call goes on after the rejoin: the caller is heard and answered in the new session. */
  async function answeredAfter(caller: Caller, client: ReturnType<Stack['client']>, repliesBefore: number) {
    const question = (await synthesizeSpeechWav(QUESTION, { sampleRate: 48000 }))!;
    await waitForAgentState(caller, 'listening', 30_000);
    const { endedAt } = await caller.say(question.pcm);
    await caller.agentAudio.firstVoicedAfter(endedAt, 20_000);
    await waitFor(
      () => stack.fakes.openai.chatRequests.filter((r) => r.reply === REPLY).length > repliesBefore,
      10_000,
      'the question answered',
    );
    const status = await client.get<{ status: string }>(`/api/calls/${caller.call.conversationId}`);
    expect(status.body.status).toBe('active');
  }

  it('joins again with a fresh token, which replaces that session, and the call goes on', async () => {
    const { client, caller, tracker } = await healthyCall();
    const identity = caller.room.localParticipant!.identity;
    const firstAgent = caller.agentIdentity;

    // The caller's one signalling connection stops getting media negotiation (the agent's is direct).
    expect(proxy.breakNegotiation()).toBe(1);
    const pid = agentJobPid(caller)!;
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => !isAlive(pid), 5_000, 'job process gone');

    const rejoin = await tracker.rejoined(1, 90_000);
    // LiveKit's negotiation for the replacement's audio was withheld from the session it published into.
    const dropped = Object.values(proxy.dropped).reduce((a, b) => a + b, 0);
    expect(dropped, JSON.stringify(proxy.dropped)).toBeGreaterThan(0);
    console.info(
      `[unbound-agent-audio] withheld ${JSON.stringify(proxy.dropped)}; rejoined ${rejoin.disconnectedAt - killedAt} ms after the kill, back in ${rejoin.rejoinedAt! - rejoin.disconnectedAt} ms`,
    );
    expect(rejoin.cause).toBe('media_unconnected');
    expect(rejoin.statuses).toEqual([201]);
    // Not before the replacement's audio had been there CALL_MEDIA_BIND_MS.
    expect(rejoin.disconnectedAt - killedAt).toBeGreaterThanOrEqual(CALL_MEDIA_BIND_MS);
    expect(proxy.connections).toBe(2);
    // The same identity: the new join replaced the half set-up session (no second caller in the room).
    expect(caller.room.localParticipant!.identity).toBe(identity);
    const lk = stack.livekit;
    const inRoom = (
      await new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret).listParticipants(caller.call.room)
    ).filter((p) => !p.identity.startsWith('agent-'));
    expect(inRoom.map((p) => p.identity)).toEqual([identity]);
    expect(caller.agentIdentity).not.toBe(firstAgent);

    await answeredAfter(caller, client, 0);
    await caller.hangUp();
  }, 180_000);

  it('joins again when its microphone, published again, never reaches the agent', async () => {
    const { client, caller, tracker } = await healthyCall();
    const identity = caller.room.localParticipant!.identity;
    const droppedBefore = Object.values(proxy.dropped).reduce((a, b) => a + b, 0);
    expect(proxy.breakNegotiation()).toBe(1); // this call's connection (the first call has hung up)
    // The caller publishes its microphone again; LiveKit's answer to that negotiation is withheld.
    const micSid = [...caller.room.localParticipant!.trackPublications.values()][0]!.sid!;
    await caller.room.localParticipant!.unpublishTrack(micSid);
    const mic = new LiveMicrophone();
    await mic.publish(caller.room);
    caller.mic = mic;
    const republishedAt = Date.now();

    const rejoin = await tracker.rejoined(1, 60_000);
    const dropped = Object.values(proxy.dropped).reduce((a, b) => a + b, 0) - droppedBefore;
    console.info(
      `[unbound-agent-audio] microphone: withheld ${dropped} negotiation messages; rejoined ${rejoin.disconnectedAt - republishedAt} ms after the microphone was published again`,
    );
    expect(dropped).toBeGreaterThan(0);
    expect(rejoin.cause).toBe('media_unconnected');
    expect(rejoin.statuses).toEqual([201]);
    expect(rejoin.disconnectedAt - republishedAt).toBeGreaterThanOrEqual(CALL_MEDIA_BIND_MS);
    expect(caller.room.localParticipant!.identity).toBe(identity);
    await answeredAfter(caller, client, 1);
  }, 120_000);
});
