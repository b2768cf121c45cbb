/**
 * Faults on the transcript path during a live call (rtc-node caller, real agent worker, provider
 * fakes, the gateway as its own process): the gateway SIGKILLed, Postgres unreachable (a pausable
 * TCP proxy of the test's own), Redis restarted (a redis-server of the test's own, no persistence).
 * Each fault is injected while the batch carrying the caller's utterance is on the wire and not
 * acknowledged (held at the ingest gate between agent and gateway, asserted), then released into
 * the fault. One outcome each: the call goes on (the caller hears the agent's reply during the
 * fault), and afterwards the database and the browser's transcript socket hold exactly what the
 * fake STT emitted and the fake LLM streamed, once each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose } from '@livekit/rtc-node';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
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

const FILE = 'e2e/reliability/data-faults.test.ts';
const PG_TURNS = ['What time is it now?', 'Are you still there?', 'Good, then goodbye.'];
const REDIS_TURNS = ['Tell me about the sea.', 'And the mountains?', 'Thank you, bye.'];
const GW_TURNS = ['Tell me about rivers.', 'And about lakes?', 'That is all, bye.'];

let stack: FaultStack;
const callers: Caller[] = [];
const sockets: TranscriptSocket[] = [];
beforeAll(async () => {
  stack = await startFaultStack({
    gateway: 'process',
    pgProxy: true,
    ownRedis: true,
    deepgram: { transcripts: [...PG_TURNS, ...REDIS_TURNS, ...GW_TURNS] },
    openai: {
      ttftMs: 60,
      reply: ({ messages }) => `Answer number ${messages.filter((m) => m.role === 'user').length}.`,
    },
  });
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.ws.close();
  for (const c of callers) await c.hangUp().catch(() => undefined);
  await stack?.gate.release();
  await stack?.stop();
  await dispose();
});

const conversation = (id: string) => stack.database.db('conversations').where({ id }).first();

/** A signed-up caller in a live call, transcript socket open, greeting and first turn stored (seqs 0–2). */
async function callThroughFirstTurn(turns: string[]) {
  const client = stack.client();
  const account = await registerCaller(client);
  const pcm = await speech(turns);
  const mark = markRecord(stack);
  const caller = await startCall(client);
  callers.push(caller);
  const id = caller.call.conversationId;
  const socket = await openTranscript(stack.gatewayUrl, id, { cookie: client.cookieHeader() });
  sockets.push(socket);
  const snapshot = await socket.next('snapshot');
  await caller.agentAudio.firstVoicedAfter(0, 20_000);
  await waitForAgentState(caller, 'listening');
  await turn(caller, pcm[0]!);
  await waitFor(async () => (await storedSeqs(stack.database, id)).length === 3, 10_000, 'first turn stored');
  return { client, account, pcm, mark, caller, id, socket, snapshot };
}

/**
 * The caller speaks their second turn with the gate holding: resolves once the batch carrying the
 * user utterance (seq 3) is proven in flight. The reply is still to come (the caller hears it later).
 */
async function secondTurnInFlight(c: Awaited<ReturnType<typeof callThroughFirstTurn>>) {
  stack.gate.hold((id) => id === c.id);
  const { endedAt } = await c.caller.say(c.pcm[1]!);
  const held = await expectUtteranceInFlight(stack, c.id, 3, expect);
  return { endedAt, held };
}

/** The caller hears the agent's reply to what they said (the call goes on through the fault). */
async function hearsReply(caller: Caller, endedAt: number) {
  const first = await caller.agentAudio.firstVoicedAfter(endedAt, 30_000);
  await caller.agentAudio.silentFor(700, first, 30_000);
  await waitForAgentState(caller, 'listening', 30_000);
}

/** Status answers the gate saw for batches carrying `seq` after `since`. */
const answersFor = (id: string, seq: number, since: number) =>
  stack.gate.answers.filter((a) => a.conversationId === id && a.seqs.includes(seq) && a.at >= since);

async function endCall(c: Awaited<ReturnType<typeof callThroughFirstTurn>>, socket: TranscriptSocket) {
  await turn(c.caller, c.pcm[2]!);
  await c.caller.hangUp();
  await waitFor(async () => (await conversation(c.id))?.status === 'ended', 15_000, 'call ended');
  expect((await conversation(c.id)).end_reason).toBe('caller_left');
  await waitFor(() => socket.queued().some((m) => m.type === 'call_ended'), 10_000, 'call_ended on the socket');
}

describe('Postgres unreachable mid-call, a transcript batch in flight', () => {
  it('the call goes on; ingest answers 503 and the agent retries; everything lands once when the database is back', async () => {
    const c = await callThroughFirstTurn(PG_TURNS);
    const { endedAt } = await secondTurnInFlight(c);

    stack.pgProxy!.pause();
    const downAt = Date.now();
    try {
      await stack.gate.release(); // the held batch meets the outage
      expect(answersFor(c.id, 3, downAt)[0]?.status).toBe(503);
      await hearsReply(c.caller, endedAt); // the caller hears the reply while the database is down
      const statuses = {
        readyz: (await c.client.get('/readyz')).status,
        me: (await c.client.get('/api/auth/me')).status,
        history: (await c.client.get('/api/conversations')).status,
        newCall: (await c.client.post('/api/calls', {})).status,
      };
      expect(statuses).toEqual({ readyz: 503, me: 503, history: 503, newCall: 503 });
      expect(await storedSeqs(stack.database, c.id)).toEqual([0, 1, 2]); // nothing could land yet
      // Published while its write ran (signed-in users' utterances are), so the open socket has it
      // already; the retries that store it publish it again, and the socket passes it on once.
      await waitFor(() => socketSeqs(c.socket, c.snapshot).seqs.includes(3), 5000, 'seq 3 live before it is stored');
      expect(socketSeqs(c.socket, c.snapshot).seqs).toEqual([0, 1, 2, 3]);
      await new Promise((r) => setTimeout(r, Math.max(0, 8_000 - (Date.now() - downAt))));
    } finally {
      stack.pgProxy!.resume();
    }
    const upAt = Date.now();
    await waitFor(async () => (await storedSeqs(stack.database, c.id)).length === 5, 20_000, 'backlog stored');
    console.info(`postgres down ${upAt - downAt} ms; backlog stored ${Date.now() - upAt} ms after it came back`);
    // The open socket got the backlog live, without reconnecting.
    await waitFor(() => socketSeqs(c.socket, c.snapshot).seqs.includes(4), 10_000, 'backlog on the open socket');

    await endCall(c, c.socket);
    const r = await checkAgainstRecord(stack, c.id, c.mark, {
      fault: 'postgres_outage',
      file: FILE,
      inFlight: 'user utterance seq 3 sent, held unacknowledged, then answered 503 by the outage',
      outcome:
        'call continues (reply heard during the outage); backlog stored once after recovery; caller_left at hang-up',
      live: socketSeqs(c.socket, c.snapshot).seqs,
    });
    expectNothingLost(r, expect);
  }, 150_000);
});

describe('Redis restarted mid-call, a transcript batch in flight', () => {
  it('the call goes on; the open socket gets every utterance once; lost sessions answer a clean 401', async () => {
    const c = await callThroughFirstTurn(REDIS_TURNS);
    const { endedAt } = await secondTurnInFlight(c);

    await stack.redis!.kill('SIGKILL');
    const downAt = Date.now();
    try {
      await stack.gate.release(); // the held batch meets the outage: stored, but its publish fails
      expect(answersFor(c.id, 3, downAt)[0]?.status).toBe(503);
      const during = {
        me: (await c.client.get('/api/auth/me')).status,
        history: (await c.client.get('/api/conversations')).status,
        newCall: (await c.client.post('/api/calls', {})).status,
      };
      expect(during).toEqual({ me: 503, history: 503, newCall: 503 });
      await new Promise((r) => setTimeout(r, Math.max(0, 1_500 - (Date.now() - downAt))));
    } finally {
      await stack.redis!.start();
    }
    console.info(`redis down ${Date.now() - downAt} ms`);
    await hearsReply(c.caller, endedAt);
    await waitFor(async () => (await storedSeqs(stack.database, c.id)).length === 5, 20_000, 'second turn stored');
    // The socket that stayed open through the restart gets the turn live (catch-up after reconnect).
    expect(c.socket.ws.readyState).toBe(c.socket.ws.OPEN);
    await waitFor(() => socketSeqs(c.socket, c.snapshot).seqs.includes(4), 10_000, 'second turn on the open socket');

    // Sessions lived only in Redis (no persistence): the user must log in again — a clean 401.
    const me = await c.client.get('/api/auth/me');
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('unauthenticated');
    const login = await c.client.post('/api/auth/login', {
      email: c.account.email,
      password: 'correct horse battery staple 42',
    });
    expect(login.status).toBe(200);

    await endCall(c, c.socket);
    const r = await checkAgainstRecord(stack, c.id, c.mark, {
      fault: 'redis_restart',
      file: FILE,
      inFlight:
        'user utterance seq 3 sent, held unacknowledged, then answered 503 by the outage (stored, not published)',
      outcome:
        'call continues; the open socket catches up with every utterance once; signed-in users get 401 and log in again',
      live: socketSeqs(c.socket, c.snapshot).seqs,
    });
    expectNothingLost(r, expect);
  }, 150_000);
});

describe('the gateway SIGKILLed mid-call, a transcript batch in flight', () => {
  it('the call goes on; the agent spools and re-sends; the re-opened socket shows every utterance once', async () => {
    const c = await callThroughFirstTurn(GW_TURNS);
    const { endedAt } = await secondTurnInFlight(c);

    await stack.gatewayProcess!.kill('SIGKILL');
    const downAt = Date.now();
    // The agent's ingest stream (through the gate) closed with the gateway: the held batch's sender
    // is gone, so it is dropped unanswered at release, and the agent keeps it to resend.
    await waitFor(
      () => stack.gate.held(c.id).every((h) => !h.senderConnected),
      5000,
      'the ingest stream closed with the gateway',
    );
    await stack.gate.release();
    expect(stack.gate.dropped.some((d) => d.conversationId === c.id && d.seqs.includes(3))).toBe(true);
    expect(answersFor(c.id, 3, downAt)).toEqual([]);
    await hearsReply(c.caller, endedAt); // audio does not go through the gateway: the call goes on
    // The browser's socket went with the gateway; the web client re-opens it.
    expect((await c.socket.closed).code).toBe(1006);
    expect(await storedSeqs(stack.database, c.id)).toEqual([0, 1, 2]);
    await stack.gatewayProcess!.start(); // same port, database and Redis
    const upAt = Date.now();
    console.info(`gateway down ${upAt - downAt} ms`);
    await waitFor(async () => (await storedSeqs(stack.database, c.id)).length === 5, 20_000, 'spooled turn stored');
    const socket = await openTranscript(stack.gatewayUrl, c.id, { cookie: c.client.cookieHeader() });
    sockets.push(socket);
    const snapshot = await socket.next('snapshot');

    await endCall(c, socket);
    const seen = socketSeqs(socket, snapshot).seqs;
    const r = await checkAgainstRecord(stack, c.id, c.mark, {
      fault: 'gateway_sigkill',
      file: FILE,
      inFlight: 'user utterance seq 3 sent, held unacknowledged; its ingest stream closed with the gateway',
      outcome:
        'call continues (reply heard while the gateway is down); spooled turn stored once on restart; the re-opened socket shows all',
      live: seen,
    });
    expectNothingLost(r, expect);
    // Before the kill the first socket had seen exactly what was stored then.
    expect(socketSeqs(c.socket, c.snapshot).seqs).toEqual([0, 1, 2]);
  }, 150_000);
});

// While Postgres or Redis is unreachable, cookie-authenticated routes answer 503 service_unavailable
// (gateway/src/http/dependency-errors.ts), never 500.
describe('answers while a dependency is unreachable', () => {
  it('are 503 service_unavailable, never 500 (short Postgres and Redis outages)', async () => {
    const client = stack.client();
    await registerCaller(client);
    const probe = async () => [
      (await client.get('/api/auth/me')).status,
      (await client.get('/api/conversations')).status,
      (await client.post('/api/calls', {})).status,
    ];
    stack.pgProxy!.pause();
    let pg: number[];
    try {
      pg = await probe();
    } finally {
      stack.pgProxy!.resume();
    }
    await stack.redis!.kill('SIGKILL');
    let redis: number[];
    try {
      redis = await probe();
    } finally {
      await stack.redis!.start();
    }
    expect([...pg, ...redis]).toEqual([503, 503, 503, 503, 503, 503]);
  }, 30_000);
});
