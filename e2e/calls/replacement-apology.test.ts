import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '@parley/testkit';
import {
  agentJobPid,
  followNewAgent,
  joinCall,
  LiveMicrophone,
  recordAgentVoice,
  rejoinOnDisconnect,
  startCall,
  waitForAgentState,
  type Caller,
} from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import type { CallCreated } from '@parley/testkit/caller';
import { registerUser, waitFor } from './helpers';

/**
 * A replacement agent apologises only once its caller's audio reaches it: a caller re-joining after
 * its LiveKit node died is in the room (and subscribed) before its connection is, and an apology
 * said then was heard by nobody. Here the caller's microphone is off when the job dies, so the
 * replacement finds its caller in the room with no audio: it says nothing until the microphone is
 * published again, then apologises; and when the caller's session never carries anything, it waits
 * for the session the client's media watch joins instead (CALL_MEDIA_BIND_MS later); and when the
 * client gives up the session the apology went to, it is said again to the new one.
 */
describe('a replacement agent whose caller sends no audio yet', () => {
  let stack: Stack;
  let caller: Caller;

  beforeAll(async () => {
    stack = await startStack({});
  }, 120_000);

  let second: Caller | undefined;
  const others: Caller[] = [];

  afterAll(async () => {
    for (const c of others) await c.hangUp().catch(() => undefined);
    await second?.hangUp().catch(() => undefined);
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

  it('waits for the session the caller joins again when its first one carries nothing, and apologises there', async () => {
    const client = stack.client();
    await registerUser(client);
    second = await startCall(client);
    const c = second;
    await c.agentAudio.firstVoicedAfter(0, 30_000); // the greeting
    await waitForAgentState(c, 'listening', 30_000);
    // The client's media watch, as the web client runs it all through a call.
    const rejoin = rejoinOnDisconnect(c, client);
    const voices = recordAgentVoice(c);
    // The watch has seen the microphone published (it looks once a second; one never published it
    // does not count as missing).
    await new Promise((r) => setTimeout(r, 1500));
    try {
      // A session that carries nothing from the caller from now on (as a half set-up one after a
      // node's death): its microphone unpublished, never again in this session.
      c.mic.stop();
      const micSid = [...c.room.localParticipant!.trackPublications.values()][0]!.sid!;
      await c.room.localParticipant!.unpublishTrack(micSid);
      const firstRoom = c.room;

      const pid = agentJobPid(c)!;
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();
      await waitFor(async () => !isAlive(pid), 5_000, 'job process gone');

      // The watch gives the session up and joins again; the replacement apologises to that one.
      const r = await rejoin.rejoined(1, 60_000);
      expect(r.cause).toBe('media_unconnected');
      expect(c.room).not.toBe(firstRoom);
      const heardAt = await voices.firstVoicedAfter(killedAt, 30_000);
      console.info(
        `media watch gave the first session up ${r.disconnectedAt - killedAt} ms after the kill; apology heard ${heardAt - r.disconnectedAt} ms after that`,
      );
      // Nothing said into the session that carried nothing (the old 5 s wait spoke there).
      expect(heardAt).toBeGreaterThan(r.disconnectedAt);
      await waitFor(
        async () =>
          (await stack.database.db('utterances').where({ conversation_id: c.call.conversationId, role: 'agent' }))
            .length === 2,
        15_000,
        'the greeting and the apology stored',
      );
    } finally {
      rejoin.stop();
      voices.stop();
    }
  }, 180_000);

  it('says the apology again to the session the caller joins again with right after it, stored once', async () => {
    const client = stack.client();
    await registerUser(client);
    const first = await startCall(client);
    others.push(first);
    await first.agentAudio.firstVoicedAfter(0, 30_000); // the greeting
    await waitForAgentState(first, 'listening', 30_000);

    const pid = agentJobPid(first)!;
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => !isAlive(pid), 5_000, 'job process gone');
    // The replacement has the caller's audio: it apologises to this session at once.
    await followNewAgent(first, 60_000);
    const apologyAt = await first.agentAudio.firstVoicedAfter(killedAt, 30_000);
    // Heard to its end (its state may read listening before the speaking state arrives).
    await first.agentAudio.silentFor(1000, apologyAt, 30_000);
    await waitForAgentState(first, 'listening', 30_000);

    // The client gives that session up (as its media watch does when the session carries nothing
    // to it) and joins again under the same identity, before saying anything.
    const res = await client.post<CallCreated>(`/api/calls/${first.call.conversationId}/rejoin`, {});
    expect(res.status).toBe(201);
    const joinedAt = Date.now();
    const again = await joinCall(res.body, 30_000);
    others.push(again);
    // The same agent (the replacement) serves the new session.
    expect(again.agentIdentity).toBe(first.agentIdentity);
    const heardAt = await again.agentAudio.firstVoicedAfter(joinedAt, 20_000);
    console.info(`apology said again ${heardAt - joinedAt} ms after the caller joined again`);
    await waitForAgentState(again, 'listening', 30_000);
    // Stored once: the greeting and the apology.
    await new Promise((r) => setTimeout(r, 1000));
    const rows = await stack.database
      .db('utterances')
      .where({ conversation_id: first.call.conversationId, role: 'agent' });
    expect(rows.map((r) => r.text)).toHaveLength(2);
  }, 180_000);
});
