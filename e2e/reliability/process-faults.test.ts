/**
 * Process faults during a live call: the agent's job process SIGKILLed (a replacement agent is
 * dispatched into the same call, see gateway/src/calls/recovery.ts), and the LiveKit server
 * restarted (the call goes on; a caller who does not come back is ended as server_restarted). Each
 * is injected while the caller's second turn is in flight: the batch carrying their
 * utterance (seq 3) sent and held unacknowledged at the ingest gate, and the reply asked of the fake
 * LLM and not yet answered (both asserted). One outcome each, asserted, and afterwards the database
 * and the browser's transcript socket hold exactly the independent record (fake STT finals, replies
 * the fake LLM streamed in full), once each; the next call is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose, RoomEvent } from '@livekit/rtc-node';
import { descendantPids, isAlive } from '@parley/testkit';
import {
  agentJobPid,
  followAgentTrack,
  followNewAgent,
  startCall,
  waitForAgentState,
  type Caller,
} from '@parley/testkit/caller';
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
const TURNS = [
  'Please remember this.',
  'Are you there?',
  'Before the restart.',
  'During the restart.',
  'After the restart.',
  'Still there after it.',
  'The last call.',
];

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

/** Runs `step`; when it fails, the worker's log since `since` goes with the error. */
async function withWorkerLog<T>(since: number, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const lines = stack.worker.output
      .join('')
      .split('\n')
      .filter((l) => Number(/"time":(\d+)/.exec(l)?.[1]) >= since)
      .map((l) => l.slice(0, 300));
    (err as Error).message += `\nworker log since the fault:\n${lines.slice(-80).join('\n')}`;
    throw err;
  }
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
      alsoSaid: [apologyFor('en')],
    });
    expect({ lost: r.record.lost, duplicated: r.record.duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(r.userJoined).toBe(r.finalsJoined);
    // Greeting, turn 1, reply 1, turn 2 (the unanswered reply was never said), then the apology,
    // whose seq continues after a gap left for the lost job's spooled utterances.
    expect(r.agent).toEqual(r.expectedAgent);
    expect(r.agent.at(-1)).toBe(apologyFor('en'));
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

describe('the LiveKit server restarted mid-turn', () => {
  it('the call goes on: caller and agent reconnect to the restarted server and the next turn is answered; a caller who does not come back is ended as server_restarted; nothing in flight is lost', async () => {
    // Call B: live and listening, its caller will be gone when the server comes back.
    const b = await liveCall();
    // Call A: its second turn in flight (seq 3 held at the gate, its reply asked and pending).
    const a = await liveCall();
    await secondTurnInFlight(a, pcm[2]!, pcm[3]!);
    const agentA = a.caller.agentIdentity;
    const trackA = a.caller.agentAudio.trackSid;

    const restartAt = Date.now();
    // What A's caller's SDK went through (shown if the agent is not heard again).
    const callerEvents: string[] = [];
    for (const ev of [RoomEvent.Reconnecting, RoomEvent.Reconnected, RoomEvent.Disconnected])
      a.caller.room.on(ev, () => callerEvents.push(`${ev}@+${Date.now() - restartAt}ms`));
    let bGoneWhileDown = false;
    await stack.restartLivekit(1000, async () => {
      // While the server is down: B's caller leaves for good (no leave can reach the agent).
      await b.caller.hangUp();
      bGoneWhileDown = true;
    });
    expect(bGoneWhileDown).toBe(true);
    await stack.gate.release();
    stack.fakes.openai.releaseReplies();

    // A: both ends reconnected by themselves; the same agent (no re-dispatch) publishes anew.
    const newTrack = await withWorkerLog(restartAt, () =>
      followAgentTrack(a.caller, 30_000).catch((err: Error) => {
        err.message += ` (A's caller: ${callerEvents.join(', ') || 'no connection events'})`;
        throw err;
      }),
    );
    expect(newTrack).not.toBe(trackA);
    expect([...a.caller.room.remoteParticipants.keys()].filter((k) => k.startsWith('agent-'))).toEqual([agentA]);
    const heardAt = await withWorkerLog(restartAt, async () => {
      await waitForAgentState(a.caller, 'listening', 20_000);
      return turn(a.caller, pcm[4]!);
    });
    console.info(
      `livekit restarted: the same agent answered the next turn ${heardAt - restartAt} ms after the restart`,
    );
    expect((await conversation(a.id)).status).toBe('active');
    // Stored: the greeting, every final the STT emitted and every reply the LLM streamed in full.
    const record = () =>
      1 +
      (stack.fakes.deepgram.transcriptsSent.length - a.mark.stt) +
      (stack.fakes.openai.repliesStreamed.length - a.mark.llm);
    await waitFor(
      async () => (await storedSeqs(stack.database, a.id)).length === record(),
      15_000,
      'the turn after the restart stored',
    );
    const r = await checkAgainstRecord(stack, a.id, a.mark, {
      fault: 'livekit_restart',
      file: FILE,
      inFlight: 'user utterance seq 3 sent and held unacknowledged; its reply asked of the LLM, not answered',
      outcome:
        'call continues: caller and agent reconnect to the restarted server, the next turn is answered; seq 3 stored once',
      live: socketSeqs(a.socket, a.snapshot).seqs,
    });
    expectNothingLost(r, expect);
    expect(socketSeqs(a.socket, a.snapshot).endReason).toBeNull();

    // B: the agent waited AGENT_CALLER_REJOIN_MS for its caller, then ended the call, with the
    // reason shown on B's open socket.
    await waitFor(async () => (await conversation(b.id))?.status === 'ended', 30_000, 'call B ended');
    expect((await conversation(b.id)).end_reason).toBe('server_restarted');
    await waitFor(() => socketSeqs(b.socket, b.snapshot).endReason !== null, 10_000, 'call_ended on B socket');
    expect(socketSeqs(b.socket, b.snapshot).endReason).toBe('server_restarted');

    const hangUpAt = Date.now();
    await a.caller.hangUp();
    await withWorkerLog(hangUpAt, async () => {
      await waitFor(async () => (await conversation(a.id))?.status === 'ended', 15_000, 'call A ended');
      expect((await conversation(a.id)).end_reason).toBe('caller_left');
    });
    // No stale job left on the worker, and the next call is served.
    await waitFor(
      async () =>
        (await fetch(stack.worker.healthUrl)).ok &&
        ((await fetch(`${stack.worker.healthUrl}/worker`).then((r) => r.json())) as { active_jobs: number })
          .active_jobs === 0,
      30_000,
      'worker connected with no stale job',
      async () => {
        const health = await fetch(stack.worker.healthUrl).then(async (r) => `${r.status} ${await r.text()}`);
        const info = await fetch(`${stack.worker.healthUrl}/worker`).then((r) => r.text());
        return `health: ${health}; worker: ${info}\nworker log tail:\n${stack.worker.output.join('').slice(-6000)}`;
      },
    );
    await nextCallServed('livekit_restart');
  }, 180_000);
});
