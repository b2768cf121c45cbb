import { AgentDispatchClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, synthesizeSpeechWav } from '@parley/testkit';
import { agentJobPid, followNewAgent, startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { apologyFor, greetingFor } from '@parley/agent/agent';
import { DEFAULT_TRANSCRIPT } from '@parley/testkit/fakes/deepgram';
import { registerUser, waitFor } from './helpers';

/**
 * Several calls per job process (AGENT_CALLS_PER_PROCESS, agent/src/job-host.ts): two calls share
 * one job host process, each with its own conversation; a job that fails in that process ends
 * alone; the process killed ends both calls, and each gets a new agent.
 */
describe('job hosts: several calls in one job process', () => {
  let stack: Stack;
  const callers: Caller[] = [];
  let speech: Int16Array;
  let hostPid = 0;

  beforeAll(async () => {
    stack = await startStack({
      openai: { ttftMs: 30, reply: ({ messages }) => `Reply ${messages.filter((m) => m.role === 'user').length}.` },
      // Three slots per host and one idle slot: two calls and the next job share the first host.
      agentEnv: { AGENT_CALLS_PER_PROCESS: '3', AGENT_IDLE_PROCESSES: '1' },
    });
    speech = (await synthesizeSpeechWav('Tell me something.', { sampleRate: 48000 })).pcm;
  }, 120_000);

  afterAll(async () => {
    await Promise.all(callers.map((c) => c.hangUp().catch(() => undefined)));
    await stack?.stop();
  });

  const agentTexts = (c: Caller) =>
    stack.database
      .db('utterances')
      .where({ conversation_id: c.call.conversationId, role: 'agent' })
      .orderBy('seq')
      .pluck('text');

  /** One turn: the caller speaks, the agent answers `Reply n.`, stored in this call's conversation. */
  const turn = async (c: Caller, n: number) => {
    await waitForAgentState(c, 'listening', 30_000);
    const { endedAt } = await c.say(speech);
    await c.agentAudio.firstVoicedAfter(endedAt, 20_000);
    await waitFor(async () => (await agentTexts(c)).includes(`Reply ${n}.`), 15_000, `Reply ${n}. stored`);
  };

  it('runs two calls in one process, each with its own conversation', async () => {
    for (let i = 0; i < 2; i++) {
      const client = stack.client();
      await registerUser(client);
      callers.push(await startCall(client));
    }
    await Promise.all(callers.map((c) => c.agentAudio.firstVoicedAfter(0, 30_000)));
    await waitFor(() => callers.every((c) => agentJobPid(c) !== null), 10_000, 'job pids published');
    const pids = callers.map((c) => agentJobPid(c)!);
    hostPid = pids[0]!;
    expect(pids[1]).toBe(hostPid);
    expect(hostPid).not.toBe(stack.worker!.process.pid);
    await Promise.all(callers.map((c) => turn(c, 1)));
    for (const c of callers) expect(await agentTexts(c)).toHaveLength(2); // greeting, Reply 1.
  }, 120_000);

  it('ends a job that fails alone: the process and its other calls go on', async () => {
    expect(hostPid).toBeGreaterThan(0);
    const failed = () =>
      stack
        .worker!.output.flatMap((chunk) => chunk.split('\n'))
        .filter((l) => l.includes('job entry failed'))
        .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as { pid: number; errName: string });
    const failedBefore = failed().length;
    // A job whose entry throws (its metadata is not the gateway's JSON), dispatched while both
    // calls run: it takes the host's third slot.
    const http = stack.env.LIVEKIT_URL!.replace(/^ws/, 'http');
    await new AgentDispatchClient(http, stack.env.LIVEKIT_API_KEY!, stack.env.LIVEKIT_API_SECRET!).createDispatch(
      `broken-${Date.now()}`,
      stack.agentName,
      { metadata: '{not json' },
    );
    const failures = () => failed().slice(failedBefore);
    await waitFor(() => failures().length === 1, 30_000, 'the broken job failed');
    expect(failures()[0]).toMatchObject({ pid: hostPid, errName: 'SyntaxError' });
    expect(isAlive(hostPid)).toBe(true);
    await Promise.all(callers.map((c) => turn(c, 2)));
    expect(callers.map((c) => agentJobPid(c))).toEqual([hostPid, hostPid]);
  }, 120_000);

  it('gives each call of a killed process a new agent', async () => {
    expect(isAlive(hostPid)).toBe(true);
    const killedAt = Date.now();
    process.kill(hostPid, 'SIGKILL');
    await waitFor(() => !isAlive(hostPid), 5000, 'job host gone');
    await Promise.all(callers.map((c) => followNewAgent(c, 60_000)));
    console.info(`both calls had a new agent ${Date.now() - killedAt} ms after their job host was killed`);
    // The new agents run in the worker's other host (it held the idle slot), together.
    await waitFor(() => callers.every((c) => agentJobPid(c) !== null), 10_000, 'new job pids published');
    const pids = callers.map((c) => agentJobPid(c)!);
    expect(pids[0]).not.toBe(hostPid);
    expect(pids[1]).toBe(pids[0]);
    for (const c of callers) {
      await waitFor(
        async () => (await agentTexts(c)).at(-1) === apologyFor('en'),
        20_000,
        'the replacement apology stored',
      );
    }
    await Promise.all(callers.map((c) => turn(c, 3)));
    // Each conversation whole and once, in order: nothing of either call lost or doubled by the kill.
    for (const c of callers) {
      const rows = await stack.database
        .db('utterances')
        .where({ conversation_id: c.call.conversationId })
        .orderBy('seq');
      expect(rows.map((r) => [r.role, r.text])).toEqual([
        ['agent', greetingFor('en')],
        ['user', DEFAULT_TRANSCRIPT],
        ['agent', 'Reply 1.'],
        ['user', DEFAULT_TRANSCRIPT],
        ['agent', 'Reply 2.'],
        ['agent', apologyFor('en')],
        ['user', DEFAULT_TRANSCRIPT],
        ['agent', 'Reply 3.'],
      ]);
    }
  }, 150_000);
});
