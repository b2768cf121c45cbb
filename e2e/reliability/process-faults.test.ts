/**
 * Process faults during a live call: the agent's job process SIGKILLed (a replacement agent is
 * dispatched into the same call, see gateway/src/calls/recovery.ts), and the LiveKit server
 * restarted. Each is injected while the caller's second turn is in flight: the batch carrying their
 * utterance (seq 3) sent and held unacknowledged at the ingest gate, and the reply asked of the fake
 * LLM and not yet answered (both asserted). One outcome each, asserted, and afterwards the database
 * and the browser's transcript socket hold exactly the independent record (fake STT finals, replies
 * the fake LLM streamed in full), once each; the next call is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose } from '@livekit/rtc-node';
import { descendantPids, isAlive } from '@parley/testkit';
import { agentJobPid, followNewAgent, startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { knownBug } from '@parley/testkit/known-bug';
import { apologyFor } from '@parley/agent/agent';
import { openTranscript, type TranscriptSocket } from '@parley/testkit/calls';
import {
  checkAgainstRecord,
  expectNothingLost,
  expectUtteranceInFlight,
  markRecord,
  registerCaller,
  socketSeqs,
  speech,
  startFaultStack,
  storedSeqs,
  turn,
  waitFor,
  type FaultStack,
} from './harness';

const FILE = 'e2e/reliability/process-faults.test.ts';
const TURNS = ['Please remember this.', 'Are you there?', 'Before the restart.', 'During the restart.'];

let stack: FaultStack;
let pcm: Int16Array[];
const callers: Caller[] = [];
const sockets: TranscriptSocket[] = [];
beforeAll(async () => {
  stack = await startFaultStack({
    deepgram: { transcripts: [...TURNS] },
    openai: {
      ttftMs: 60,
      reply: ({ messages }) => `Answer number ${messages.filter((m) => m.role === 'user').length}.`,
    },
  });
  pcm = await speech(TURNS);
}, 120_000);
afterAll(async () => {
  stack?.fakes.openai.releaseReplies();
  await stack?.gate.release();
  for (const s of sockets) s.ws.close();
  for (const c of callers) await c.hangUp().catch(() => undefined);
  await stack?.stop();
  await dispose();
});

const conversation = (id: string) => stack.database.db('conversations').where({ id }).first();

/** A signed-up caller in a live call with the transcript socket open; the greeting heard. */
async function liveCall() {
  const mark = markRecord(stack);
  const client = stack.client();
  await registerCaller(client);
  const caller = await startCall(client);
  callers.push(caller);
  const id = caller.call.conversationId;
  const socket = await openTranscript(stack.gatewayUrl, id, { cookie: client.cookieHeader() });
  sockets.push(socket);
  const snapshot = await socket.next('snapshot');
  await caller.agentAudio.firstVoicedAfter(0, 20_000);
  await waitForAgentState(caller, 'listening');
  return { client, caller, id, socket, snapshot, mark };
}

/**
 * First turn stored (seqs 0–2); then the caller's second turn with the gate and the fake LLM
 * holding: resolves once its utterance (seq 3) is proven in flight and its reply asked and pending.
 */
async function secondTurnInFlight(c: Awaited<ReturnType<typeof liveCall>>, first: Int16Array, second: Int16Array) {
  await turn(c.caller, first);
  await waitFor(async () => (await storedSeqs(stack.database, c.id)).length === 3, 10_000, 'first turn stored');
  stack.gate.hold((id) => id === c.id);
  stack.fakes.openai.holdReplies();
  const { endedAt } = await c.caller.say(second);
  const held = await expectUtteranceInFlight(stack, c.id, 3, expect);
  await waitFor(() => stack.fakes.openai.heldReplies === 1, 20_000, 'the reply asked of the LLM');
  expect(stack.fakes.openai.repliesStreamed.length - c.mark.llm).toBe(1); // only the first reply was given
  return { endedAt, held };
}

/** The next call is served end to end by the same worker. */
async function nextCallServed(fault: string) {
  const next = await liveCall();
  await turn(next.caller, pcm[0]!);
  await next.caller.hangUp();
  await waitFor(async () => (await conversation(next.id))?.status === 'ended', 15_000, 'next call ended');
  expect((await conversation(next.id)).end_reason).toBe('caller_left');
  const r = await checkAgainstRecord(stack, next.id, next.mark, {
    fault: `${fault}_next_call`,
    file: FILE,
    inFlight: 'none (the call after the fault)',
    outcome: 'served end to end by the same worker',
    live: socketSeqs(next.socket, next.snapshot).seqs,
    record: false,
  });
  expectNothingLost(r, expect);
}

describe("the agent's job process SIGKILLed mid-turn", () => {
  it('re-dispatches a replacement agent into the same call, shown to the caller; the utterance on the wire is recovered from the spool once', async () => {
    const c = await liveCall();
    const { held } = await secondTurnInFlight(c, pcm[0]!, pcm[1]!);

    const pid = agentJobPid(c.caller)!;
    expect(await descendantPids(stack.worker.process.pid!)).toContain(pid);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => !isAlive(pid) && !held.senderConnected, 5_000, 'job process and its request gone');
    await stack.gate.release();
    // The copy on the wire died with its sender: only the spool can deliver seq 3 now.
    expect(stack.gate.dropped.some((b) => b.conversationId === c.id && b.seqs.includes(3))).toBe(true);
    stack.fakes.openai.releaseReplies(); // nobody is waiting for that reply any more

    // The gateway learns from the worker's heartbeat that the job is gone and dispatches a
    // replacement into the same room: the caller is told, then hears it apologise.
    await c.socket.next('agent_reconnecting', 30_000);
    await followNewAgent(c.caller, 30_000);
    const heardAt = await c.caller.agentAudio.firstVoicedAfter(killedAt, 30_000);
    await waitFor(async () => (await storedSeqs(stack.database, c.id)).length === 5, 15_000, 'seq 3 and the apology');
    console.info(`job killed: replacement agent heard ${heardAt - killedAt} ms after the kill`);
    expect((await conversation(c.id)).status).toBe('active');

    const r = await checkAgainstRecord(stack, c.id, c.mark, {
      fault: 'agent_job_sigkill',
      file: FILE,
      inFlight: 'user utterance seq 3 sent and held unacknowledged; its reply asked of the LLM, not answered',
      outcome:
        'a replacement agent joins the same call (agent_reconnecting shown on the open socket) and apologises; seq 3 re-sent from the spool by the worker',
      live: socketSeqs(c.socket, c.snapshot).seqs,
    });
    expect({ lost: r.record.lost, duplicated: r.record.duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(r.userJoined).toBe(r.finalsJoined);
    // Greeting, turn 1, reply 1, turn 2 (the unanswered reply was never said), then the apology,
    // whose seq continues after a gap left for the lost job's spooled utterances.
    expect(r.agent).toEqual([...r.expectedAgent, apologyFor('en')]);
    expect(r.seqs.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(r.seqs[4]).toBeGreaterThan(3);
    await waitFor(() => socketSeqs(c.socket, c.snapshot).seqs.length === 5, 10_000, 'all five on the socket');
    await c.caller.hangUp();
    await waitFor(async () => (await conversation(c.id))?.status === 'ended', 15_000, 'call ended');
    expect((await conversation(c.id)).end_reason).toBe('caller_left');

    expect(isAlive(stack.worker.process.pid!)).toBe(true);
    await nextCallServed('agent_job_sigkill');
  }, 150_000);
});

let livekitEndReason: string | undefined;
describe('the LiveKit server restarted mid-turn', () => {
  it('ends the call with a named reason shown to the caller; nothing in flight is lost; the next call is served', async () => {
    const c = await liveCall();
    await secondTurnInFlight(c, pcm[2]!, pcm[3]!);

    const restartAt = Date.now();
    await stack.restartLivekit(1000);
    await stack.gate.release();
    stack.fakes.openai.releaseReplies();
    await waitFor(async () => (await conversation(c.id))?.status === 'ended', 40_000, 'call ended after the restart');
    const ended = await conversation(c.id);
    await waitFor(() => socketSeqs(c.socket, c.snapshot).endReason !== null, 10_000, 'call_ended on the socket');
    const shown = socketSeqs(c.socket, c.snapshot).endReason;
    console.info(
      `livekit restarted: call ended after ${Date.now() - restartAt} ms as ${ended.end_reason} (shown ${shown})`,
    );
    await waitFor(async () => (await storedSeqs(stack.database, c.id)).length >= 4, 15_000, 'seq 3 stored');
    expect(shown).toBe(ended.end_reason); // the caller is shown the recorded reason
    livekitEndReason = ended.end_reason;

    const r = await checkAgainstRecord(stack, c.id, c.mark, {
      fault: 'livekit_restart',
      file: FILE,
      inFlight: 'user utterance seq 3 sent and held unacknowledged; its reply asked of the LLM, not answered',
      outcome: `call ends within 40 s, its reason (${ended.end_reason}) shown on the open socket; seq 3 stored once`,
      live: socketSeqs(c.socket, c.snapshot).seqs,
    });
    expectNothingLost(r, expect);
    await c.caller.hangUp();

    // The worker registers with the restarted server (its health answers 200 only while its
    // LiveKit session is open) with no stale job, and the next call is served.
    // agents' worker retries with a growing pause (2 s, 4 s, … up to 10 s): after a slow stop
    // (SIGTERM, SIGKILL after 5 s) and start of the server its fifth try can come ~30 s later.
    const waitFrom = Date.now();
    await waitFor(
      async () =>
        (await fetch(stack.worker.healthUrl)).ok &&
        ((await fetch(`${stack.worker.healthUrl}/worker`).then((r) => r.json())) as { active_jobs: number })
          .active_jobs === 0,
      60_000,
      'worker connected to the restarted server with no stale job',
      async () => {
        const health = await fetch(stack.worker.healthUrl).then(async (r) => `${r.status} ${await r.text()}`);
        const info = await fetch(`${stack.worker.healthUrl}/worker`).then((r) => r.text());
        return `health: ${health}; worker: ${info}\nworker log tail:\n${stack.worker.output.join('').slice(-6000)}`;
      },
    );
    console.info(`livekit restarted: worker registered again ${Date.now() - waitFrom} ms after the call ended`);
    await new Promise((r) => setTimeout(r, 1500)); // registration follows the socket's open
    await nextCallServed('livekit_restart');
  }, 180_000);

  knownBug(
    'After a LiveKit server restart the call is recorded (and shown) as caller_left: the agent, reconnected to a room the caller has not rejoined yet, ends it as if the caller had left',
    'records the end of that call as server_restarted',
    () => expect(livekitEndReason).toBe('server_restarted'),
  );
});
