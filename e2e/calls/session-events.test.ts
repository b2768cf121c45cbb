import { afterAll, describe, expect, it } from 'vitest';
import { synthesizeSpeechWav } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { DEFAULT_TRANSCRIPT } from '@parley/testkit/fakes/deepgram';
import { registerUser, waitFor } from './helpers';

/**
 * agents' session host (AGENT_SESSION_EVENTS, agent/src/config.ts): published agents 1.8.1 sends
 * every session event (agent and user states, interim and final transcripts, conversation items,
 * usage) to the caller as a byte stream on `lk.agent.session`, three data packets each through
 * LiveKit, for agents' RemoteSession tools. Parley's clients read none of it, so the agent starts
 * its session without the host (patches/) unless the operator turns it on.
 */
const TOPIC = 'lk.agent.session';

async function callWithOneTurn(stack: Stack) {
  const client = stack.client();
  await registerUser(client);
  const caller = await startCall(client);
  const streams: Array<{ from: string; bytes: Buffer }> = [];
  /** Every stream as it opens (one still open when the test looks counts too). */
  const opened: string[] = [];
  caller.room.registerByteStreamHandler(TOPIC, (reader, participant) => {
    opened.push(participant.identity);
    // A stream still open when the caller hangs up ends with rtc-node's "Disconnected while receiving".
    reader.readAll().then(
      (chunks) => streams.push({ from: participant.identity, bytes: Buffer.concat(chunks) }),
      () => undefined,
    );
  });
  await waitForAgentState(caller, 'listening', 30_000);
  const speech = await synthesizeSpeechWav('Tell me something.', { sampleRate: 48000 });
  const { endedAt } = await caller.say(speech.pcm);
  // The reply is heard: the call works either way.
  await caller.agentAudio.firstVoicedAfter(endedAt, 20_000);
  await waitForAgentState(caller, 'listening', 30_000);
  return { caller, streams, opened };
}

describe('agent session events on lk.agent.session', () => {
  const stacks: Stack[] = [];
  const callers: Caller[] = [];
  afterAll(async () => {
    await Promise.all(callers.map((c) => c.hangUp().catch(() => undefined)));
    await Promise.all(stacks.map((s) => s.stop()));
  });

  it('sends the caller none by default, and the call takes its turn', async () => {
    const stack = await startStack({ openai: { reply: () => 'Here is something.' } });
    stacks.push(stack);
    const { caller, opened } = await callWithOneTurn(stack);
    callers.push(caller);
    // What the session host would have sent by now arrives within milliseconds when it is on (below).
    await new Promise((r) => setTimeout(r, 1500));
    expect(opened).toEqual([]);
  }, 120_000);

  it('sends every session event when AGENT_SESSION_EVENTS=true: states and the transcript reach the caller', async () => {
    const stack = await startStack({
      openai: { reply: () => 'Here is something.' },
      agentEnv: { AGENT_SESSION_EVENTS: 'true' },
    });
    stacks.push(stack);
    const { caller, streams, opened } = await callWithOneTurn(stack);
    callers.push(caller);
    await waitFor(
      () => streams.some((s) => s.bytes.includes(DEFAULT_TRANSCRIPT)),
      10_000,
      'the caller transcript in a session event',
    );
    expect(opened.every((from) => from === caller.agentIdentity)).toBe(true);
    // A turn's agent and user state changes, transcripts and conversation items: several events.
    expect(streams.length).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
