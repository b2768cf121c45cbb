import { EventEmitter } from 'node:events';
import { voice } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { pauseOnSpeechStart } from './barge-in';

/** The parts of AgentSession pauseOnSpeechStart uses: events, agentState and the audio output. */
function fakeSession() {
  const calls: string[] = [];
  const session = Object.assign(new EventEmitter(), {
    agentState: 'listening' as string,
    output: { audio: { pause: () => calls.push('pause'), resume: () => calls.push('resume') } },
  });
  const agent = (state: string) => {
    session.agentState = state;
    session.emit(voice.AgentSessionEventTypes.AgentStateChanged, { newState: state });
  };
  const user = (state: string) => session.emit(voice.AgentSessionEventTypes.UserStateChanged, { newState: state });
  pauseOnSpeechStart(session as never);
  return { calls, agent, user };
}

describe('pauseOnSpeechStart', () => {
  it('pauses the moment the caller starts over the agent and resumes when it was only a sound', () => {
    const { calls, agent, user } = fakeSession();
    agent('speaking');
    user('speaking');
    expect(calls).toEqual(['pause']);
    user('listening'); // the framework never left "speaking": no interruption
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('leaves the output to the framework once it takes over, and never lets a new reply start paused', () => {
    const { calls, agent, user } = fakeSession();
    agent('speaking');
    user('speaking');
    agent('listening'); // the framework paused the reply (interruption)
    user('listening');
    expect(calls).toEqual(['pause']);
    agent('thinking'); // the next reply is prepared
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('does nothing while the agent is silent', () => {
    const { calls, agent, user } = fakeSession();
    user('speaking');
    user('listening');
    agent('thinking');
    expect(calls).toEqual([]);
  });
});
