import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, synthesizeSpeechWav } from '@parley/testkit';
import { agentJobPid, startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { greetingFor } from '@parley/agent/agent';
import { registerUser, waitFor } from './helpers';

/**
 * The spool in a job host (several calls per job process, agent/src/job-host.ts): a call that ends
 * while the gateway is down leaves its undelivered utterances on disk. Its process does not exit (the
 * host runs other calls), so the job hands the file to its worker (agent/src/reporting/spool.ts
 * `handOver`), which re-sends it once the gateway is back, while the host still runs.
 */
describe('a call that ends in a job host while the gateway is down', () => {
  let stack: Stack;
  const callers: Caller[] = [];

  beforeAll(async () => {
    stack = await startStack({
      gateway: 'process',
      deepgram: { transcripts: ['First question please.'] },
      openai: { ttftMs: 50, reply: ({ messages }) => `Reply ${messages.filter((m) => m.role === 'user').length}.` },
      agentEnv: { AGENT_CALLS_PER_PROCESS: '3', AGENT_IDLE_PROCESSES: '1', AGENT_SPOOL_RECOVERY_MS: '1000' },
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(callers.map((c) => c.hangUp().catch(() => undefined)));
    await stack?.stop();
  });

  it('has its backlog re-sent by the worker while the host runs on with another call', async () => {
    const gw = stack.gatewayProcess!;
    for (let i = 0; i < 2; i++) {
      const client = stack.client();
      await registerUser(client);
      callers.push(await startCall(client));
    }
    const [ending, staying] = callers as [Caller, Caller];
    await Promise.all(callers.map((c) => c.agentAudio.firstVoicedAfter(0, 30_000)));
    await waitFor(() => callers.every((c) => agentJobPid(c) !== null), 10_000, 'job pids published');
    const hostPid = agentJobPid(ending)!;
    expect(agentJobPid(staying)).toBe(hostPid);

    const id = ending.call.conversationId;
    const stored = async () =>
      stack.database.db('utterances').where({ conversation_id: id }).orderBy('seq').select('seq', 'role', 'text');
    await waitFor(async () => (await stored()).length === 1, 10_000, 'greeting stored');

    await gw.kill('SIGKILL');
    await waitForAgentState(ending, 'listening');
    const { pcm } = await synthesizeSpeechWav('First question please.', { sampleRate: 48000 });
    const { endedAt } = await ending.say(pcm);
    await ending.agentAudio.silentFor(700, await ending.agentAudio.firstVoicedAfter(endedAt, 15_000));
    const spoolFiles = () => readdirSync(stack.spoolDir).filter((f) => f.startsWith(id) && f.endsWith('.jsonl'));
    // The turn waits on disk, in the host's file.
    await waitFor(() => spoolFiles().some((f) => f === `${id}.${hostPid}.jsonl`), 5000, "the host's spool file");

    await ending.hangUp();
    // The job ended (its flush gave up on the dead gateway) and gave the file to its worker.
    const workerPid = stack.worker!.process.pid!;
    await waitFor(
      () => spoolFiles().length === 1 && spoolFiles()[0]!.startsWith(`${id}.${workerPid}.`),
      30_000,
      "the spool file handed to the worker's pid",
    );
    expect(isAlive(hostPid)).toBe(true);

    await gw.start();
    await waitFor(async () => (await stored()).length === 3, 30_000, 'the spooled turn stored');
    expect((await stored()).map((r) => [r.seq, r.role, r.text])).toEqual([
      [0, 'agent', greetingFor('en')],
      [1, 'user', 'First question please.'],
      [2, 'agent', 'Reply 1.'],
    ]);
    await waitFor(() => spoolFiles().length === 0, 5000, 'spool emptied');
    // Delivered by the worker while the host still runs the other call, not at the host's exit.
    expect(isAlive(hostPid)).toBe(true);
    expect(agentJobPid(staying)).toBe(hostPid);
    // A later recovery pass sends nothing again.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await stored()).length).toBe(3);
  }, 120_000);
});
