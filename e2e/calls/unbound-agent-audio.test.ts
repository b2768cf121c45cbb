import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomServiceClient } from 'livekit-server-sdk';
import { AGENT_AUDIO_BIND_MS } from '@parley/protocol';
import { isAlive, synthesizeSpeechWav } from '@parley/testkit';
import { agentJobPid, rejoinOnDisconnect, startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startSignalProxy, type SignalProxy } from '@parley/testkit/signal-proxy';
import { startStack, type Stack } from '@parley/testkit/stack';
import { waitFor } from './helpers';

const QUESTION = 'Are you still there after all that?';
const REPLY = 'Yes, I am still here with you.';

/**
 * A caller's session that stays joined but never gets the agent's audio (after a LiveKit node died,
 * its SDK's own reconnection once joined the recreated room with its media never negotiated, and
 * LiveKit does not repair that): the client joins again with a fresh token once an agent's audio
 * has been published for AGENT_AUDIO_BIND_MS without reaching it. The caller signals through a proxy
 * (LIVEKIT_PUBLIC_URL) which, while the call is up, stops passing LiveKit's media negotiation to it;
 * the agent's job is then killed, so a replacement agent publishes into that session. A guest's
 * rejoin keeps its identity, so the new join replaces the half set-up session, and the call goes on.
 */
describe('a caller whose session never gets the agent’s audio', () => {
  let proxy: SignalProxy & { target: string | null };
  let stack: Stack;
  let caller: Caller;

  beforeAll(async () => {
    proxy = await startSignalProxy();
    stack = await startStack({
      gatewayEnv: { LIVEKIT_PUBLIC_URL: proxy.url },
      deepgram: { transcripts: [QUESTION] },
      openai: { ttftMs: 50, reply: () => REPLY },
    });
    proxy.target = stack.env.LIVEKIT_URL!;
  }, 120_000);

  afterAll(async () => {
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
    await proxy?.close();
  });

  it('joins again with a fresh token, which replaces that session, and the call goes on', async () => {
    const client = stack.client(); // a guest
    const question = (await synthesizeSpeechWav(QUESTION, { sampleRate: 48000 }))!;
    caller = await startCall(client);
    expect(caller.call.url).toBe(proxy.url);
    await caller.agentAudio.firstVoicedAfter(0, 30_000); // the greeting, through the proxy
    await waitForAgentState(caller, 'listening', 30_000);
    const identity = caller.room.localParticipant!.identity;
    const firstAgent = caller.agentIdentity;
    const tracker = rejoinOnDisconnect(caller, client);

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
    expect(rejoin.cause).toBe('agent_audio_unbound');
    expect(rejoin.statuses).toEqual([201]);
    // Not before the replacement's audio had been there AGENT_AUDIO_BIND_MS.
    expect(rejoin.disconnectedAt - killedAt).toBeGreaterThanOrEqual(AGENT_AUDIO_BIND_MS);
    expect(proxy.connections).toBe(2);
    // The same identity: the new join replaced the half set-up session (no second caller in the room).
    expect(caller.room.localParticipant!.identity).toBe(identity);
    const lk = stack.livekit;
    const callers = (
      await new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret).listParticipants(caller.call.room)
    ).filter((p) => !p.identity.startsWith('agent-'));
    expect(callers.map((p) => p.identity)).toEqual([identity]);
    expect(caller.agentIdentity).not.toBe(firstAgent);

    // The call goes on: the caller is heard and answered in the new session.
    await waitForAgentState(caller, 'listening', 30_000);
    const { endedAt } = await caller.say(question.pcm);
    await caller.agentAudio.firstVoicedAfter(endedAt, 20_000);
    await waitFor(
      () => stack.fakes.openai.chatRequests.some((r) => r.reply === REPLY),
      10_000,
      'the question answered',
    );
    const status = await client.get<{ status: string }>(`/api/calls/${caller.call.conversationId}`);
    expect(status.body.status).toBe('active');
  }, 180_000);
});
