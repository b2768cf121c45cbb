import { EventEmitter } from 'node:events';
import { voice } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { AudioFrame } from '@livekit/rtc-node';
import { isBackchannel, pauseOnSpeechStart, splitFrames } from './barge-in';

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
  const bargeIn = pauseOnSpeechStart(session as never);
  return { calls, agent, user, bargeIn };
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

  it('drops a backchannel said over the agent and resumes the reply the framework paused for it', () => {
    const { calls, agent, user, bargeIn } = fakeSession();
    agent('speaking');
    user('speaking');
    agent('listening'); // the framework paused the reply (the sound lasted minDuration)
    expect(bargeIn.dropTranscript('Mm', false)).toBe(true); // interim: dropped, still paused
    expect(calls).toEqual(['pause']);
    expect(bargeIn.dropTranscript('Mm-hmm.', true)).toBe(true);
    expect(calls).toEqual(['pause', 'resume']);
    user('listening'); // the VAD's end of speech (it re-paused until then): resumed again
    expect(calls).toEqual(['pause', 'resume', 'resume']);
  });

  it('keeps real words over the agent, and every word said while it is silent', () => {
    const { agent, user, bargeIn } = fakeSession();
    agent('speaking');
    user('speaking');
    expect(bargeIn.dropTranscript('Wait, stop', true)).toBe(false);
    agent('thinking');
    agent('listening');
    user('speaking'); // the agent is silent: "yeah" answers a question
    expect(bargeIn.dropTranscript('Yeah.', true)).toBe(false);
  });
});

describe('isBackchannel', () => {
  it('knows acknowledgements from words that take the turn', () => {
    for (const t of ['Mm-hmm.', 'mm hmm', 'Uh huh', 'Yeah, okay.', '', '  ', 'I see.', 'Hmm?'])
      expect(isBackchannel(t), t).toBe(true);
    for (const t of ['Stop', 'wait', 'Yeah but no', 'okay stop', 'what?', 'I see a problem'])
      expect(isBackchannel(t), t).toBe(false);
  });
});

describe('splitFrames', () => {
  it('splits 100 ms frames into 20 ms ones, same samples in order, userdata on the first', async () => {
    const data = Int16Array.from({ length: 2400 }, (_, i) => i);
    const frame = new AudioFrame(data, 24000, 1, 2400, { timed: ['x'] });
    const out: AudioFrame[] = [];
    const w = splitFrames(20);
    const reading = (async () => {
      for await (const f of w.readable as unknown as AsyncIterable<AudioFrame>) out.push(f);
    })();
    const writer = w.writable.getWriter();
    await writer.write(frame);
    await writer.write(new AudioFrame(new Int16Array(100), 24000, 1, 100));
    await writer.close();
    await reading;
    expect(out.map((f) => f.samplesPerChannel)).toEqual([480, 480, 480, 480, 480, 100]);
    expect(Array.from(out.slice(0, 5).flatMap((f) => Array.from(f.data)))).toEqual(Array.from(data));
    expect(out[0]!.userdata).toEqual({ timed: ['x'] });
    expect(out[1]!.userdata).toEqual({});
  });
});
