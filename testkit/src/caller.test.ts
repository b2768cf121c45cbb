import { TrackKind } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { followServingAgent, type Caller } from './caller';

/** A caller whose room lists `agents` (identity, state, whether its audio track is subscribed). */
function callerWith(agents: Array<{ identity: string; state: string; audio: boolean }>) {
  const remoteParticipants = new Map(
    agents.map((a) => [
      a.identity,
      {
        identity: a.identity,
        attributes: { 'lk.agent.state': a.state },
        trackPublications: new Map(
          a.audio ? [[`TR_${a.identity}`, { kind: TrackKind.KIND_AUDIO, track: { sid: `TR_${a.identity}` } }]] : [],
        ),
      },
    ]),
  );
  // Already listening to the serving agent's track, so no AudioStream is opened on the fake one.
  return {
    room: { remoteParticipants },
    agentIdentity: 'agent-old',
    agentAudio: { trackSid: 'TR_agent-new', close: () => undefined },
  } as unknown as Caller;
}

describe('followServingAgent', () => {
  it('follows the one agent the caller hears, past an agent rtc-node still lists without tracks', async () => {
    const caller = callerWith([
      { identity: 'agent-old', state: 'thinking', audio: false },
      { identity: 'agent-new', state: 'listening', audio: true },
    ]);
    await expect(followServingAgent(caller, 'listening', 300)).resolves.toBe('agent-new');
    expect(caller.agentIdentity).toBe('agent-new');
  });

  it('waits while two agents are heard, and while the one heard is in another state', async () => {
    const two = callerWith([
      { identity: 'agent-old', state: 'listening', audio: true },
      { identity: 'agent-new', state: 'listening', audio: true },
    ]);
    await expect(followServingAgent(two, 'listening', 300)).rejects.toThrow(/no single listening agent heard/);
    const speaking = callerWith([{ identity: 'agent-new', state: 'speaking', audio: true }]);
    await expect(followServingAgent(speaking, 'listening', 300)).rejects.toThrow(/no single listening agent heard/);
    expect(speaking.agentIdentity).toBe('agent-old');
  });
});
