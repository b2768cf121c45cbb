/**
 * Faults in the data layer during a live call (rtc-node caller, real agent worker, provider fakes):
 * Postgres unreachable for 10 s (a pausable TCP proxy of the test's own between gateway and the
 * shared server) and Redis restarted (a redis-server of the test's own, no persistence). After each:
 * the stored utterances are exactly what was spoken and heard, the browser's socket saw each once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose } from '@livekit/rtc-node';
import type { ServerMessage } from '@parley/protocol';
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

const PG_TURNS = ['What time is it now?', 'Are you still there?', 'Good, then goodbye.'];
const REDIS_TURNS = ['Tell me about the sea.', 'And the mountains?', 'Thank you, bye.'];
const reply = (n: number) => `Answer number ${n}.`;

let stack: FaultStack;
const callers: Caller[] = [];
const sockets: TranscriptSocket[] = [];
beforeAll(async () => {
  stack = await startFaultStack({
    pgProxy: true,
    ownRedis: true,
    deepgram: { transcripts: [...PG_TURNS, ...REDIS_TURNS] },
    openai: { ttftMs: 60, reply: ({ messages }) => reply(messages.filter((m) => m.role === 'user').length) },
  });
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.ws.close();
  for (const c of callers) await c.hangUp().catch(() => undefined);
  await stack?.stop();
  await dispose();
});

/** Every utterance seq the socket delivered (snapshot + live), and whether call_ended came. */
function delivered(socket: TranscriptSocket, snapshot: Extract<ServerMessage, { type: 'snapshot' }>) {
  const live = socket.queued().flatMap((m) => (m.type === 'utterance' ? [m.utterance.seq] : []));
  return {
    seqs: [...snapshot.utterances.map((u) => u.seq), ...live],
    ended: socket.queued().some((m) => m.type === 'call_ended'),
  };
}

async function expectTranscriptIntact(fault: string, conversationId: string, spokenFrom: number, live: number[]) {
  const rows = await storedUtterances(stack.database, conversationId);
  const spoken = stack.fakes.deepgram.transcriptsSent.slice(spokenFrom);
  const liveMissed = rows.map((x) => x.seq).filter((seq) => !live.includes(seq));
  const r = checkUtterances('data', fault, rows, spoken, greetingFor('en'), reply, 3, { liveMissed });
  // The browser's socket never gets an utterance twice, and nothing it got is unknown to the store.
  expect(new Set(live).size).toBe(live.length);
  expect(live.every((seq) => rows.some((x) => x.seq === seq))).toBe(true);
  expectUtterancesIntact(r, expect);
  expect(rows.map((x) => x.role).slice(0, 2)).toEqual(['agent', 'user']);
}

const conversation = (id: string) => stack.database.db('conversations').where({ id }).first();

/** A signed-up caller in a live call with its transcript socket open, the greeting and first turn stored. */
async function callThroughFirstTurn(turns: string[]) {
  const client = stack.client();
  const account = await registerCaller(client);
  const pcm = await speech(turns);
  const spokenFrom = stack.fakes.deepgram.transcriptsSent.length;
  const caller = await startCall(client);
  callers.push(caller);
  const id = caller.call.conversationId;
  const socket = await openTranscript(stack.gateway.url, id, { cookie: client.cookieHeader() });
  sockets.push(socket);
  const snapshot = await socket.next('snapshot');
  await caller.agentAudio.firstVoicedAfter(0, 20_000);
  await waitForAgentState(caller, 'listening');
  await turn(caller, pcm[0]!);
  await waitFor(async () => (await storedUtterances(stack.database, id)).length === 3, 10_000, 'first turn stored');
  return { client, account, pcm, spokenFrom, caller, id, socket, snapshot };
}

describe('Postgres unreachable for 10 s mid-call', () => {
  it('buffers utterances in the agent and lands them afterwards; /readyz reports the outage, then health', async () => {
    const { client, pcm, spokenFrom, caller, id, socket, snapshot } = await callThroughFirstTurn(PG_TURNS);

    stack.pgProxy!.pause();
    const downAt = Date.now();
    try {
      await waitFor(
        async () => (await client.get('/readyz')).status === 503,
        8_000,
        '/readyz reports the database down',
      );
      const ready = await client.get('/readyz');
      expect(ready.body.components.database.status).not.toBe('ok');

      await turn(caller, pcm[1]!); // the conversation goes on; the agent's reports queue up and retry
      const statuses: Record<string, number> = {
        me: (await client.get('/api/auth/me')).status,
        history: (await client.get('/api/conversations')).status,
        call: (await client.get(`/api/calls/${id}`)).status,
        newCall: (await client.post('/api/calls', {})).status,
      };
      // Every request answers 503 service_unavailable meanwhile, never 500.
      expect(statuses).toEqual({ me: 503, history: 503, call: 503, newCall: 503 });
      expect((await storedUtterances(stack.database, id)).length).toBe(3); // nothing could land yet

      await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - downAt))));
    } finally {
      stack.pgProxy!.resume();
    }
    const upAt = Date.now();
    await waitFor(
      async () => (await client.get('/readyz')).body?.components?.database?.status === 'ok',
      15_000,
      '/readyz healthy again',
    );
    await waitFor(
      async () => (await storedUtterances(stack.database, id)).length === 5,
      20_000,
      'buffered utterances landed',
    );
    console.info(`postgres down ${upAt - downAt} ms; backlog stored ${Date.now() - upAt} ms after it came back`);

    await turn(caller, pcm[2]!);
    await caller.hangUp();
    await waitFor(async () => (await conversation(id))?.status === 'ended', 15_000, 'call ended');
    expect((await conversation(id)).end_reason).toBe('caller_left');
    await waitFor(() => delivered(socket, snapshot).ended, 5_000, 'call_ended on the socket');
    await expectTranscriptIntact('postgres_unreachable_10s', id, spokenFrom, delivered(socket, snapshot).seqs);
    // Redis stayed up: the live socket got every stored utterance, none missing.
    expect(delivered(socket, snapshot).seqs.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  }, 120_000);
});

describe('Redis restarted mid-call', () => {
  it('live transcripts resume for connected clients, nothing is lost, lost sessions answer a clean 401', async () => {
    const { client, account, pcm, spokenFrom, caller, id, socket, snapshot } = await callThroughFirstTurn(REDIS_TURNS);

    await stack.redis!.kill('SIGKILL');
    const downAt = Date.now();
    let sayDuringOutage: Promise<unknown>;
    try {
      sayDuringOutage = turn(caller, pcm[1]!); // spoken while Redis is down: publish fails, the agent retries
      // No request answers 500 while Redis is down (sessions, rate limits and the bus live there).
      const during = {
        me: (await client.get('/api/auth/me')).status,
        history: (await client.get('/api/conversations')).status,
        newCall: (await client.post('/api/calls', {})).status,
        login: (
          await stack
            .client()
            .post('/api/auth/login', { email: account.email, password: 'correct horse battery staple 42' })
        ).status,
      };
      expect(
        Object.values(during).filter((s) => s >= 500 && s !== 503),
        JSON.stringify(during),
      ).toEqual([]);
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      await stack.redis!.start();
    }
    console.info(`redis down ${Date.now() - downAt} ms`);
    await sayDuringOutage;
    await waitFor(async () => (await storedUtterances(stack.database, id)).length === 5, 20_000, 'second turn stored');

    // The connected browser's socket gets the live transcript again: the turn after the restart arrives live.
    await turn(caller, pcm[2]!);
    await waitFor(() => delivered(socket, snapshot).seqs.includes(6), 10_000, 'live utterance after the restart');

    // Sessions lived only in Redis (no persistence): the user must log in again — a clean 401.
    const me = await client.get('/api/auth/me');
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('unauthenticated');
    expect(
      (await client.post('/api/auth/login', { email: account.email, password: 'correct horse battery staple 42' }))
        .status,
    ).toBe(200);
    expect((await client.get('/api/auth/me')).status).toBe(200);

    await caller.hangUp();
    await waitFor(async () => (await conversation(id))?.status === 'ended', 15_000, 'call ended');
    await waitFor(() => delivered(socket, snapshot).ended, 5_000, 'call_ended on the socket');
    // Stored: everything. Live: resumed (seq 6 above), never twice. KNOWN GAP (reported, racy, so
    // not asserted): an utterance re-published by the agent's retry in the moment between Redis
    // answering again and the gateway's subscriber re-subscribing is lost to open sockets (pub/sub
    // keeps nothing); the browser sees it only after a reconnect (snapshot). Recorded as liveMissed.
    await expectTranscriptIntact('redis_restart', id, spokenFrom, delivered(socket, snapshot).seqs);
  }, 120_000);
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
    console.info(`answers with postgres down: ${pg}; with redis down: ${redis}`);
    expect([...pg, ...redis]).toEqual([503, 503, 503, 503, 503, 503]);
  }, 30_000);
});
