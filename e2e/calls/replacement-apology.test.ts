import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '@parley/testkit';
import {
  agentJobPid,
  followNewAgent,
  LiveMicrophone,
  startCall,
  waitForAgentState,
  type Caller,
} from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { registerUser, waitFor } from './helpers';

/**
 * A replacement agent apologises only once its caller's audio reaches it: a caller re-joining after
 * its LiveKit node died is in the room (and subscribed) before its connection is, and an apology
 * said then was heard by nobody. Here the caller's microphone is off when the job dies, so the
 * replacement finds its caller in the room with no audio: it says nothing until the microphone is
 * published again (within the 5 s it waits), then apologises.
 */
describe('a replacement agent whose caller sends no audio yet', () => {
  let stack: Stack;
  let caller: Caller;

  beforeAll(async () => {
    stack = await startStack({});
  }, 120_000);

  afterAll(async () => {
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
  });

  it('apologises once the caller’s microphone is back, not into a connection that carries nothing', async () => {
    const client = stack.client();
    await registerUser(client);
    caller = await startCall(client);
    await caller.agentAudio.firstVoicedAfter(0, 30_000); // the greeting
    await waitForAgentState(caller, 'listening', 30_000);

    // The caller's microphone off: its track unpublished.
    caller.mic.stop();
    const micSid = [...caller.room.localParticipant!.trackPublications.values()][0]!.sid!;
    await caller.room.localParticipant!.unpublishTrack(micSid);

    const pid = agentJobPid(caller)!;
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => !isAlive(pid), 5_000, 'job process gone');
    await followNewAgent(caller, 60_000);
    const joinedAt = Date.now();

    // In the room with its caller, but nothing from them: silent for the next 2.5 s.
    await new Promise((r) => setTimeout(r, 2500));
    expect(caller.agentAudio.voiced(joinedAt)).toEqual([]);

    // The microphone back: the apology follows (the agent may get the track before the caller's
    // publish call returns, so the time is taken before it).
    const mic = new LiveMicrophone();
    const publishingAt = Date.now();
    await mic.publish(caller.room);
    caller.mic = mic;
    const heardAt = await caller.agentAudio.firstVoicedAfter(joinedAt, 15_000);
    console.info(`replacement heard ${heardAt - publishingAt} ms after the microphone was published`);
    expect(heardAt).toBeGreaterThanOrEqual(publishingAt);
    // Because of the microphone, not the 5 s wait running out (that would come ≥ 2.5 s after it).
    expect(heardAt - publishingAt).toBeLessThan(1500);
    await waitFor(
      async () =>
        (await stack.database.db('utterances').where({ conversation_id: caller.call.conversationId, role: 'agent' }))
          .length === 2,
      15_000,
      'the greeting and the apology stored',
    );
  }, 180_000);
});
