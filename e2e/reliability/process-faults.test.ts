/**
 * Process faults during a live call: the agent's job process SIGKILLed, and the LiveKit server
 * restarted. The call must end with a recorded reason (or carry on), the browser's socket must hear
 * about it, the next call must be served, and the stored utterances must be exactly what was
 * spoken and heard up to the fault: seqs from 0 with no gap and no duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose } from '@livekit/rtc-node';
import { EndReason } from '@parley/protocol';
import { descendantPids, isAlive } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { greetingFor } from '@parley/agent/agent';
import { openTranscript, type TranscriptSocket } from '@parley/testkit/calls';
import {
  checkUtterances,
  expectUtterancesIntact,
  registerCaller,
  speech,
  startFaultStack,
  storedUtterances,
  turn,
  waitFor,
  type FaultStack,
} from './harness';

const TURNS = ['Please remember this.', 'A brand new call.', 'Before the restart.', 'After the restart.'];
const reply = (n: number) => `Answer number ${n}.`;

let stack: FaultStack;
let pcm: Int16Array[];
const callers: Caller[] = [];
const sockets: TranscriptSocket[] = [];
beforeAll(async () => {
  stack = await startFaultStack({
    deepgram: { transcripts: [...TURNS] },
    openai: { ttftMs: 60, reply: ({ messages }) => reply(messages.filter((m) => m.role === 'user').length) },
  });
  pcm = await speech(TURNS);
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.ws.close();
  for (const c of callers) await c.hangUp().catch(() => undefined);
  await stack?.stop();
  await dispose();
});

const conversation = (id: string) => stack.database.db('conversations').where({ id }).first();

async function liveCall() {
  const spokenFrom = stack.fakes.deepgram.transcriptsSent.length;
  const client = stack.client();
  await registerCaller(client);
  const caller = await startCall(client);
  callers.push(caller);
  const id = caller.call.conversationId;
  const socket = await openTranscript(stack.gateway.url, id, { cookie: client.cookieHeader() });
  sockets.push(socket);
  await socket.next('snapshot');
  await caller.agentAudio.firstVoicedAfter(0, 20_000);
  await waitForAgentState(caller, 'listening');
  return { client, caller, id, socket, spokenFrom };
}

/** No gap, no duplicate; user turns as transcribed, agent turns as scripted. */
async function expectPrefixIntact(fault: string, id: string, spokenFrom: number, turns: number) {
  const rows = await storedUtterances(stack.database, id);
  const spoken = stack.fakes.deepgram.transcriptsSent.slice(spokenFrom);
  expectUtterancesIntact(checkUtterances('process', fault, rows, spoken, greetingFor('en'), reply, turns), expect);
  return rows;
}

describe("the agent's job process killed mid-call", () => {
  it('ends the call with a recorded reason, tells the browser, keeps every utterance, and serves the next call', async () => {
    const { caller, id, socket, spokenFrom } = await liveCall();
    await turn(caller, pcm[0]!);
    await waitFor(async () => (await storedUtterances(stack.database, id)).length === 3, 10_000, 'first turn stored');

    // The job's pid is in its reply segment ids (agent-<pid>-<n>) on the live transcript.
    const segment = socket
      .queued()
      .flatMap((m) => (m.type === 'interim' && m.role === 'agent' ? [m.segmentId] : []))[0];
    const pid = Number(/^agent-(\d+)-/.exec(segment ?? '')?.[1]);
    expect(await descendantPids(stack.worker.process.pid!)).toContain(pid);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => !isAlive(pid), 5_000, 'job process gone');

    await waitFor(
      async () => (await conversation(id))?.status === 'ended',
      45_000,
      'call ended (LiveKit notices the dead agent after ~20 s)',
    );
    const ended = await conversation(id);
    console.info(`job killed: call ended after ${Date.now() - killedAt} ms with reason ${ended.end_reason}`);
    expect(EndReason.options).toContain(ended.end_reason);
    expect(ended.end_reason).not.toBe('caller_left'); // the caller is still there: the agent failed
    const callEnded = await socket.next('call_ended', 10_000);
    expect(callEnded.reason).toBe(ended.end_reason);
    expect((await expectPrefixIntact('agent_job_killed', id, spokenFrom, 1)).length).toBe(3);
    await caller.hangUp();

    // The worker is still up and serves the next call end to end.
    expect(isAlive(stack.worker.process.pid!)).toBe(true);
    const next = await liveCall();
    await turn(next.caller, pcm[1]!);
    await next.caller.hangUp();
    await waitFor(async () => (await conversation(next.id))?.status === 'ended', 15_000, 'next call ended');
    await expectPrefixIntact('agent_job_killed_next_call', next.id, next.spokenFrom, 1);
    expect((await conversation(next.id)).end_reason).toBe('caller_left');
  }, 120_000);
});

describe('the LiveKit server restarted mid-call', () => {
  it('ends the call cleanly with a recorded reason (or carries on), loses nothing, and the next call is served', async () => {
    const { caller, id, socket, spokenFrom } = await liveCall();
    await turn(caller, pcm[2]!);
    await waitFor(async () => (await storedUtterances(stack.database, id)).length === 3, 10_000, 'first turn stored');

    const restartAt = Date.now();
    await stack.restartLivekit(1000);
    // Either the call ends with a recorded reason, or caller and agent reconnect and it carries on.
    let outcome: 'ended' | 'continued' = 'ended';
    try {
      await waitFor(async () => (await conversation(id))?.status === 'ended', 40_000, 'call ended after the restart');
    } catch {
      outcome = 'continued';
      await turn(caller, pcm[3]!, 30_000);
    }
    const conv = await conversation(id);
    console.info(`livekit restarted: outcome ${outcome} after ${Date.now() - restartAt} ms, reason ${conv.end_reason}`);
    await caller.hangUp();
    await waitFor(async () => (await conversation(id))?.status === 'ended', 30_000, 'call ended');
    const final = await conversation(id);
    expect(EndReason.options).toContain(final.end_reason);
    await socket.next('call_ended', 10_000);
    await expectPrefixIntact('livekit_restart', id, spokenFrom, outcome === 'ended' ? 1 : 2);

    // The worker registers with the restarted server and the next call is served.
    // (The worker's health answers 200 only while its LiveKit session is open; the stale job must be gone.)
    await waitFor(
      async () =>
        (await fetch(stack.worker.healthUrl)).ok &&
        ((await fetch(`${stack.worker.healthUrl}/worker`).then((r) => r.json())) as { active_jobs: number })
          .active_jobs === 0,
      40_000,
      'worker connected to the restarted server with no stale job',
    );
    await new Promise((r) => setTimeout(r, 1500)); // registration follows the socket's open
    const next = await liveCall();
    expect((await storedUtterances(stack.database, next.id)).length).toBeLessThanOrEqual(1);
    await next.caller.hangUp();
    await waitFor(async () => (await conversation(next.id))?.status === 'ended', 15_000, 'next call ended');
    await expectPrefixIntact('livekit_restart_next_call', next.id, next.spokenFrom, 0);
  }, 180_000);
});
