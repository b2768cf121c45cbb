import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, synthesizeSpeechWav } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startStack, type Stack } from '@parley/testkit/stack';
import { registerUser, waitFor } from './helpers';
import { apologyFor } from '@parley/agent/agent';

/**
 * The spool: while the gateway is down the job keeps its undelivered utterances on disk; when
 * the job process is then SIGKILLed (nothing in it can flush), the worker process finds the
 * dead job's spool file and re-sends it once the gateway is back.
 */

describe('a job SIGKILLed while the gateway is down', () => {
  let stack: Stack;
  let caller: Caller;

  beforeAll(async () => {
    stack = await startStack({
      gateway: 'process',
      deepgram: { transcripts: ['First question please.', 'Second question please.'] },
      openai: { ttftMs: 50, reply: ({ messages }) => `Reply ${messages.filter((m) => m.role === 'user').length}.` },
      // agents' own process per call (AGENT_CALLS_PER_PROCESS=1); job-host-spool.test.ts is the job host's case.
      agentEnv: { AGENT_SPOOL_RECOVERY_MS: '1000', AGENT_CALLS_PER_PROCESS: '1' },
    });
  }, 120_000);

  afterAll(async () => {
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
  });

  it('has its backlog re-sent by the worker from the spool, once', async () => {
    const gw = stack.gatewayProcess!;
    const client = stack.client();
    await registerUser(client);
    const [one, two] = await Promise.all(
      ['First question please.', 'Second question please.'].map((t) => synthesizeSpeechWav(t, { sampleRate: 48000 })),
    );
    caller = await startCall(client);
    const { conversationId } = caller.call;
    const stored = async () =>
      stack.database.db('utterances').where({ conversation_id: conversationId }).orderBy('seq');
    await caller.agentAudio.firstVoicedAfter(0, 20_000);
    await waitForAgentState(caller, 'listening');
    let { endedAt } = await caller.say(one!.pcm);
    await caller.agentAudio.silentFor(700, await caller.agentAudio.firstVoicedAfter(endedAt, 15_000));
    await waitFor(async () => (await stored()).length === 3, 10_000, 'first turn stored');

    await gw.kill('SIGKILL');
    ({ endedAt } = await caller.say(two!.pcm));
    await caller.agentAudio.silentFor(700, await caller.agentAudio.firstVoicedAfter(endedAt, 15_000));
    await waitForAgentState(caller, 'listening');

    // The job's spool file names its process; kill that process outright.
    let file = '';
    await waitFor(
      () => {
        file = readdirSync(stack.spoolDir).find((f) => f.startsWith(conversationId)) ?? '';
        return file !== '';
      },
      5000,
      'a spool file',
    );
    const jobPid = Number(file.split('.')[1]);
    expect(isAlive(jobPid)).toBe(true);
    process.kill(jobPid, 'SIGKILL');
    await waitFor(() => !isAlive(jobPid), 5000, 'job process gone');

    await gw.start();
    // The spooled utterances arrive; the gateway also learns (the worker's next heartbeat) that the
    // job died mid-call and dispatches a replacement agent, which apologises with a later seq.
    await waitFor(async () => (await stored()).length === 6, 30_000, 'spooled utterances and the apology stored');
    const rows = await stored();
    expect(rows.slice(0, 5).map((r) => [r.seq, r.role, r.text])).toEqual([
      [0, 'agent', expect.any(String)],
      [1, 'user', 'First question please.'],
      [2, 'agent', 'Reply 1.'],
      [3, 'user', 'Second question please.'],
      [4, 'agent', 'Reply 2.'],
    ]);
    expect(rows[5]).toMatchObject({ role: 'agent', text: apologyFor('en') });
    expect(rows[5].seq).toBeGreaterThan(4);
    await waitFor(
      () => readdirSync(stack.spoolDir).filter((f) => f.endsWith('.jsonl')).length === 0,
      5000,
      'spool emptied',
    );
    // A second recovery pass sends nothing again (nothing left, nothing duplicated).
    await new Promise((r) => setTimeout(r, 1500));
    expect((await stored()).length).toBe(6);
  }, 90_000);
});
