/**
 * Faults during many concurrent calls (used by faults-under-load.test.ts with 4 calls and by
 * `npm run bench -- faults` with 20): every caller speaks at once with the ingest gate holding each
 * call's utterance batch (all N proven in flight), the fault hits, the batches are released into it,
 * and once it is over every call's stored transcript and open socket are compared with the fakes'
 * record. With many calls the record is compared as a whole: every STT final and every streamed
 * reply is unique (scripted so), so each must be stored exactly once across all calls.
 */
import os from 'node:os';
import { agentJobPid, startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { openTranscript, type TranscriptSocket } from '@parley/testkit/calls';
import { apologyFor, greetingFor } from '@parley/agent/agent';
import { supersededReplies, type TestClient } from '@parley/testkit';
import {
  CALLER_PASSWORD,
  registerCaller,
  socketSeqs,
  speech,
  startFaultStack,
  storedUtterances,
  waitFor,
  type FaultStack,
} from './harness';

export type LoadFault =
  'postgres_outage' | 'redis_restart' | 'gateway_sigkill' | 'agent_job_sigkill' | 'livekit_restart';

export interface LoadFaultResult {
  fault: LoadFault;
  calls: number;
  inFlight: string;
  outcome: string;
  expected: number;
  stored: number;
  lost: number;
  duplicated: number;
  live: { lost: number; duplicated: number };
  /** From the fault's end until every utterance of the record was stored; null when some never were. */
  recoveredMs: number | null;
  /** Replies streamed in full that the agent dropped because the caller went on (not expected in the store). */
  discarded: number;
  /** Status codes the gate saw for the released batches' first answers. */
  answers: Record<string, number>;
}

interface LiveCall {
  caller: Caller;
  id: string;
  socket: TranscriptSocket;
  snapshot: { utterances: Array<{ seq: number }> };
  client: TestClient;
  email: string;
}

export async function faultsUnderLoad(opts: {
  calls: number;
  faults: LoadFault[];
  log?: (s: string) => void;
}): Promise<LoadFaultResult[]> {
  const log = opts.log ?? (() => undefined);
  let n = 0;
  const stack: FaultStack = await startFaultStack({
    gateway: 'process',
    pgProxy: true,
    ownRedis: true,
    livekitUdpPorts: Math.max(20, opts.calls * 6),
    deepgram: { transcripts: Array.from({ length: 400 }, (_, i) => `Caller sentence ${i + 1}.`) },
    // Each reply's first word is its own (Q7q is no prefix of Q71q): a reply cut short after one
    // word is still told apart from the others.
    openai: { ttftMs: 60, reply: () => `Q${++n}q is the answer.` },
  });
  const calls: LiveCall[] = [];
  try {
    const [pcm] = await speech(['Tell me the weather.']);
    const mark = {
      stt: stack.fakes.deepgram.transcriptsSent.length,
      llm: stack.fakes.openai.repliesStreamed.length,
      requests: stack.fakes.openai.chatRequests.length,
    };
    const t0 = Date.now();
    try {
      // Callers join one after the other: job processes starting at once starve a 2-core machine.
      for (let i = 0; i < opts.calls; i += 1) {
        const client = stack.client();
        const { email } = await registerCaller(client);
        const caller = await startCall(client);
        const id = caller.call.conversationId;
        const socket = await openTranscript(stack.gatewayUrl, id, { cookie: client.cookieHeader() });
        const snapshot = await socket.next('snapshot', 20_000);
        await caller.agentAudio.firstVoicedAfter(0, 60_000);
        await waitForAgentState(caller, 'listening', 60_000);
        calls.push({ caller, id, socket, snapshot, client, email });
      }
    } catch (err) {
      // Which call did not get its agent, and what the worker said about it.
      log(`call ${calls.length + 1} of ${opts.calls} not served: ${(err as Error).message}`);
      log(`worker log tail:\n${stack.worker.output.join('').slice(-8000)}`);
      throw err;
    }
    log(`${calls.length} calls live after ${Date.now() - t0} ms`);
    const allIds = calls.map((c) => c.id);

    const results: LoadFaultResult[] = [];
    for (const fault of opts.faults) {
      // The killed job process's calls (the first call's, and every call its job host runs beside it:
      // AGENT_CALLS_PER_PROCESS) each get a replacement agent (gateway/src/calls/recovery.ts) and go on.
      const victimPid = fault === 'agent_job_sigkill' ? agentJobPid(calls[0]!.caller) : null;
      const victims = victimPid === null ? [] : calls.filter((c) => agentJobPid(c.caller) === victimPid);
      const live = calls;
      const ids = new Set(calls.map((c) => c.id));
      stack.gate.hold((id) => ids.has(id));
      const said = await Promise.all(calls.map((c) => c.caller.say(pcm!)));
      const spokeAt = Math.min(...said.map((s) => s.endedAt));
      await waitFor(
        // Held and unacknowledged: the agent still has it to deliver (between its retries, when its
        // 3 s request timeout has passed, the sender is not connected; it re-sends the same seqs).
        () => calls.every((c) => stack.gate.held(c.id).some((h) => h.seqs.length)),
        60_000,
        'every call has an utterance batch in flight',
        async () =>
          JSON.stringify({
            finals: stack.fakes.deepgram.transcriptsSent.length - mark.stt,
            perCall: calls.map((c) => ({
              agent: c.caller.agentState(),
              held: stack.gate.held(c.id).map((h) => ({ seqs: h.seqs, senderConnected: h.senderConnected })),
            })),
          }),
      );
      const held = calls.filter((c) => stack.gate.held(c.id).some((h) => h.seqs.length)).length;
      const stored = await Promise.all(calls.map((c) => storedUtterances(stack.database, c.id)));
      const heldSeqs = calls.map((c) => Math.max(...stack.gate.held(c.id).flatMap((h) => h.seqs)));
      if (held !== calls.length || stored.some((rows, i) => rows.some((r) => r.seq === heldSeqs[i])))
        throw new Error(`${fault}: not every call had an unacknowledged utterance in flight`);
      const since = Date.now();
      let outcome = '';
      const down = async () => {
        if (fault === 'postgres_outage') {
          stack.pgProxy!.pause();
          await stack.gate.release();
          await sleep(5_000);
          stack.pgProxy!.resume();
          outcome = 'calls continue; batches answered 503 during the 5 s outage, stored after it';
        } else if (fault === 'redis_restart') {
          await stack.redis!.kill('SIGKILL');
          await stack.gate.release();
          await sleep(1_500);
          await stack.redis!.start();
          // Sessions lived only in that Redis (no persistence here, docs/reliability.md): the
          // callers' next request is a clean 401 and they sign in again, as the web client asks.
          for (const c of calls) {
            // 503 service_unavailable until the gateway's Redis client has reconnected, then 401.
            let me = await c.client.get('/api/auth/me');
            const until = Date.now() + 30_000;
            while (me.status === 503 && Date.now() < until) {
              await sleep(250);
              me = await c.client.get('/api/auth/me');
            }
            if (me.status !== 401) throw new Error(`${fault}: a lost session answered ${me.status}, not 401`);
            const login = await c.client.post('/api/auth/login', { email: c.email, password: CALLER_PASSWORD });
            if (login.status !== 200) throw new Error(`${fault}: signing in again answered ${login.status}`);
          }
          outcome =
            'calls continue; open sockets catch up after the restart; lost sessions answer 401, callers sign in again';
        } else if (fault === 'gateway_sigkill') {
          await stack.gatewayProcess!.kill('SIGKILL');
          await stack.gate.release();
          await sleep(1_000);
          await stack.gatewayProcess!.start();
          // Every browser socket went with the gateway: re-open them as the web client does.
          for (const c of calls) {
            c.socket = await openTranscript(stack.gatewayUrl, c.id, { cookie: c.client.cookieHeader() });
            c.snapshot = await c.socket.next('snapshot', 20_000);
          }
          outcome = 'calls continue; agents spool and re-send; re-opened sockets show everything';
        } else if (fault === 'agent_job_sigkill') {
          // The job's pid, from the attribute its agent publishes (agent/src/job.ts).
          if (victimPid === null) throw new Error(`${fault}: the victim's agent publishes no job pid`);
          process.kill(victimPid, 'SIGKILL');
          await sleep(500);
          await stack.gate.release();
          outcome = `a replacement agent joins each of the killed job process’s ${victims.length} call(s) and apologises (held batches re-sent from the spool); ${calls.length - victims.length === 0 ? 'no other call was in that process' : 'the other calls continue'}`;
        } else {
          await stack.restartLivekit(1000);
          await stack.gate.release();
          outcome =
            'calls continue: callers and agents reconnect to the restarted server by themselves; nothing held is lost';
        }
      };
      await down();
      const upAt = Date.now();
      const first = stack.gate.answers.filter((a) => a.at >= since && ids.has(a.conversationId) && a.seqs.length);
      const answers: Record<string, number> = {};
      for (const id of ids) {
        const a = first.find((x) => x.conversationId === id);
        if (a) answers[a.status] = (answers[a.status] ?? 0) + 1;
      }
      // Wait for the turn to settle: every final and every streamed reply stored (or time out and report).
      let check = await compare(stack, calls, allIds, mark);
      await waitFor(
        async () => {
          check = await compare(stack, calls, allIds, mark);
          const everyReplyDone = live.every((c) => c.caller.agentState() === 'listening');
          return check.lost === 0 && (everyReplyDone || fault === 'livekit_restart');
        },
        90_000,
        `${fault}: every utterance stored`,
      ).catch(() => undefined);
      if (victims.length)
        await waitFor(
          async () =>
            (
              await Promise.all(
                victims.map(async (v) =>
                  (await storedUtterances(stack.database, v.id)).some((r) => r.text === apologyFor('en')),
                ),
              )
            ).every(Boolean),
          60_000,
          `${fault}: the replacement agents' apologies stored`,
        ).catch(() => undefined);
      const settledMs = Date.now() - upAt;
      check = await compare(stack, calls, allIds, mark);
      const recoveredMs = check.lost === 0 ? settledMs : null;
      results.push({
        fault,
        calls: calls.length,
        inFlight: `${held} of ${calls.length} calls with an utterance batch held unacknowledged`,
        outcome,
        expected: check.expected,
        stored: check.stored,
        lost: check.lost,
        duplicated: check.duplicated,
        discarded: check.discarded,
        live: check.live,
        recoveredMs,
        answers,
      });
      log(`${fault}: ${JSON.stringify(results.at(-1))} (spoke ${since - spokeAt} ms before the fault)`);
      if (check.detail) log(`${fault} record vs store: ${check.detail}`);
      if (fault === 'livekit_restart') break;
    }
    return results;
  } finally {
    for (const c of calls) {
      c.socket.ws.close();
      await c.caller.hangUp().catch(() => undefined);
    }
    await stack.gate.release().catch(() => undefined);
    await stack.stop();
  }
}

/** Every call's store and socket against the fakes' record since `mark`, as a whole. */
async function compare(
  stack: FaultStack,
  calls: LiveCall[],
  allIds: string[],
  mark: { stt: number; llm: number; requests: number },
) {
  const finals = stack.fakes.deepgram.transcriptsSent.slice(mark.stt);
  // A reply the agent dropped because the caller went on (preemptive generation) was never to be said.
  const discarded = new Set(supersededReplies(stack.fakes.openai.chatRequests.slice(mark.requests)));
  const replies = stack.fakes.openai.repliesStreamed.slice(mark.llm).filter((r) => !discarded.has(r));
  const all = await Promise.all(allIds.map((id) => storedUtterances(stack.database, id)));
  const userText = all
    .map((rows) =>
      rows
        .filter((r) => r.role === 'user')
        .map((r) => r.text)
        .join(' '),
    )
    .join(' | ');
  const agentRows = all.flatMap((rows) => rows.filter((r) => r.role === 'agent'));
  // A reply the caller talked over is stored as said (interrupted, a prefix of what was streamed).
  const agentText = agentRows.map(
    (r) => (r.interrupted ? replies.find((x) => x.startsWith(r.text as string)) : undefined) ?? (r.text as string),
  );
  const greeting = greetingFor('en');
  const count = (hay: string, needle: string) => hay.split(needle).length - 1;
  let lost = 0;
  let duplicated = 0;
  let detail = '';
  for (const f of finals) {
    const k = count(userText, f);
    if (k === 0) lost++;
    if (k > 1) duplicated += k - 1;
  }
  for (const r of replies) {
    const k = agentText.filter((a) => a === r).length;
    if (k === 0) lost++;
    if (k > 1) duplicated += k - 1;
  }
  duplicated += Math.max(0, agentText.filter((a) => a === greeting).length - all.length);
  for (const rows of all) {
    const seqs = rows.map((r) => r.seq as number);
    duplicated += seqs.length - new Set(seqs).size;
    // A gap is a loss, except the one a replacement agent leaves before its apology for the
    // utterances the killed job may still have in its spool (docs/reliability.md).
    const gap = (q: number, i: number) =>
      i === 0 ? q !== 0 : q !== seqs[i - 1]! + 1 && !(rows[i]!.text === apologyFor('en') && q > seqs[i - 1]!);
    if (seqs.some(gap)) lost++;
  }
  let liveLost = 0;
  let liveDup = 0;
  for (const c of calls) {
    const got = socketSeqs(c.socket, c.snapshot).seqs;
    const rows = await storedUtterances(stack.database, c.id);
    liveLost += rows.filter((r) => !got.includes(r.seq)).length;
    liveDup += got.length - new Set(got).size;
  }
  if (lost || duplicated)
    detail = JSON.stringify({
      finals,
      replies,
      rows: all.map((rows) => rows.map((r) => [r.seq, r.role, r.text, r.interrupted])),
    });
  return {
    detail,
    expected: all.length + finals.length + replies.length,
    discarded: discarded.size,
    stored: all.reduce((a, rows) => a + rows.length, 0),
    lost,
    duplicated,
    live: { lost: liveLost, duplicated: liveDup },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const machine = () => ({
  cores: os.cpus().length,
  loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
});
