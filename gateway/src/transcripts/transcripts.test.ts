import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_CLIENT_FRAME_BYTES, type ServerMessage } from '@parley/protocol';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { OwnRedis } from '@parley/testkit/services';
import { freePort } from '@parley/tools';
import { createUser, signedInClient } from '@parley/testkit/accounts';
import { ingest, openTranscript, utterance, type TranscriptSocket } from '@parley/testkit/calls';

let gwA: TestGateway;
let gwB: TestGateway;
beforeAll(async () => {
  gwA = await startTestGateway();
  // A second process over the same database and Redis prefix: same sessions, same bus.
  gwB = await startTestGateway({ database: gwA.database, redisPrefix: gwA.redisPrefix });
});
afterAll(async () => {
  await gwB?.close();
  await gwA?.stop();
});

async function userCall(gw = gwA) {
  const c = await signedInClient(gw, await createUser(gw));
  const { conversationId } = (await c.post('/api/calls', {})).body;
  return { c, id: conversationId as string, cookie: c.cookieHeader() };
}

const refusal = (p: Promise<TranscriptSocket>) =>
  p.then(
    () => 101,
    (e: { status?: number }) => e.status,
  );

describe('transcript WebSocket: who may connect', () => {
  it('refuses before the handshake: no session 401, foreign or missing Origin 403, another owner 404, bad id 400', async () => {
    const { id, cookie } = await userCall();
    expect(await refusal(openTranscript(gwA.url, id))).toBe(401);
    expect(await refusal(openTranscript(gwA.url, id, { cookie: 'parley.sid=s%3Aforged.sig' }))).toBe(401);
    expect(await refusal(openTranscript(gwA.url, id, { cookie, origin: 'https://evil.example' }))).toBe(403);
    expect(await refusal(openTranscript(gwA.url, id, { cookie, origin: null }))).toBe(403);
    const other = await userCall();
    expect(await refusal(openTranscript(gwA.url, id, { cookie: other.cookie }))).toBe(404);
    expect(await refusal(openTranscript(gwA.url, randomUUID(), { cookie }))).toBe(404);
    expect(await refusal(openTranscript(gwA.url, 'nope', { cookie }))).toBe(400);
    // A guest session may watch its own guest call only.
    const guest = new TestClient(gwA.url);
    const g = (await guest.post('/api/calls', {})).body.conversationId;
    expect(await refusal(openTranscript(gwA.url, id, { cookie: guest.cookieHeader() }))).toBe(404);
    const stranger = new TestClient(gwA.url);
    await stranger.post('/api/calls', {});
    expect(await refusal(openTranscript(gwA.url, g, { cookie: stranger.cookieHeader() }))).toBe(404);
    expect(await refusal(openTranscript(gwA.url, g, { cookie: guest.cookieHeader() }))).toBe(101);
    expect(await refusal(openTranscript(gwA.url, id, { cookie }))).toBe(101);
  });

  it('refuses unknown WebSocket paths with 404', async () => {
    const { cookie } = await userCall();
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${gwA.url.replace('http', 'ws')}/ws/other`, { headers: { cookie, origin: gwA.url } });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('upgraded')));
    });
    expect(status).toBe(404);
  });
});

describe('transcript WebSocket: what it delivers', () => {
  it('gives a late joiner the snapshot (utterances, agent state) and then live messages', async () => {
    const { id, cookie } = await userCall();
    await ingest(gwA.url, id, [
      { type: 'call_started', at: new Date().toISOString() },
      { type: 'utterance', utterance: utterance(0) },
      { type: 'utterance', utterance: utterance(1) },
      { type: 'agent_state', state: 'listening' },
    ]);
    const s = await openTranscript(gwA.url, id, { cookie });
    const snap = await s.next();
    expect(snap).toMatchObject({
      type: 'snapshot',
      conversationId: id,
      agentState: 'listening',
      ended: false,
      endReason: null,
    });
    expect((snap as Extract<ServerMessage, { type: 'snapshot' }>).utterances).toEqual([utterance(0), utterance(1)]);
    await ingest(gwA.url, id, [
      { type: 'interim', role: 'user', segmentId: 'seg-1', text: 'hel' },
      { type: 'agent_state', state: 'thinking' },
      { type: 'utterance', utterance: utterance(2) },
      { type: 'call_ended', at: new Date().toISOString(), reason: 'agent_ended' },
    ]);
    expect(await s.next()).toMatchObject({ type: 'interim', role: 'user', segmentId: 'seg-1', text: 'hel' });
    expect(await s.next()).toMatchObject({ type: 'agent_state', state: 'thinking' });
    expect(await s.next()).toMatchObject({ type: 'utterance', utterance: utterance(2) });
    expect(await s.next()).toMatchObject({ type: 'call_ended', reason: 'agent_ended' });
    // A joiner after the end learns it from the snapshot.
    const late = await openTranscript(gwA.url, id, { cookie });
    expect(await late.next()).toMatchObject({
      type: 'snapshot',
      ended: true,
      endReason: 'agent_ended',
      agentState: 'thinking',
    });
    s.ws.close();
    late.ws.close();
  });

  it('has no gap and no duplicate when a client joins while utterances stream in', async () => {
    const { id, cookie } = await userCall();
    const total = 60;
    const sockets: TranscriptSocket[] = [];
    const streaming = (async () => {
      for (let seq = 0; seq < total; seq++) {
        // Replays of the previous utterance ride along: they must not reach the socket twice.
        const events = [{ type: 'utterance' as const, utterance: utterance(seq) }];
        if (seq > 0) events.push({ type: 'utterance', utterance: utterance(seq - 1) });
        expect((await ingest(gwA.url, id, events)).status).toBe(200);
      }
    })();
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 15 * i));
      sockets.push(await openTranscript(i % 2 ? gwB.url : gwA.url, id, { cookie }));
    }
    await streaming;
    for (const s of sockets) {
      const snap = (await s.next('snapshot')) as Extract<ServerMessage, { type: 'snapshot' }>;
      const seen = snap.utterances.map((u) => u.seq);
      while (seen.length < total) seen.push((await s.next('utterance', 3000)).utterance.seq);
      expect(seen).toEqual([...Array(total).keys()]);
      await new Promise((r) => setTimeout(r, 50));
      expect(s.queued().filter((m) => m.type === 'utterance')).toEqual([]);
      s.ws.close();
    }
  });

  it("a signed-in user's utterance reaches open sockets before its write commits, the answer waits for the commit, and a socket that joins in between gets it once after", async () => {
    const { id, cookie } = await userCall();
    const early = await openTranscript(gwB.url, id, { cookie });
    await early.next('snapshot');
    // Hold the write open: the insert's foreign-key check (and its turn_count update) wait on this row lock.
    const trx = await gwA.database.db.transaction();
    let answered = false;
    try {
      await trx('conversations').where({ id }).forUpdate().first();
      const posted = ingest(gwA.url, id, [{ type: 'utterance', utterance: utterance(0) }]).then((r) => {
        answered = true;
        return r;
      });
      expect((await early.next('utterance')).utterance.seq).toBe(0);
      // Joins now: its snapshot is read before the commit.
      const late = await openTranscript(gwA.url, id, { cookie });
      expect((await late.next('snapshot')).utterances).toEqual([]);
      expect(answered).toBe(false);
      await trx.commit();
      expect((await posted).status).toBe(200);
      expect((await late.next('utterance')).utterance.seq).toBe(0);
      await new Promise((r) => setTimeout(r, 100));
      // The publish after the commit reached the early socket too, and was dropped there.
      expect([...early.queued(), ...late.queued()].filter((m) => m.type === 'utterance')).toEqual([]);
      early.ws.close();
      late.ws.close();
    } finally {
      if (!trx.isCompleted()) await trx.rollback();
    }
  });

  it('a guest call: one batch retried through both gateways at once is stored and delivered once, interims intact', async () => {
    const guest = new TestClient(gwA.url);
    const id = (await guest.post('/api/calls', {})).body.conversationId as string;
    const cookie = guest.cookieHeader();
    const sockets = [await openTranscript(gwA.url, id, { cookie }), await openTranscript(gwB.url, id, { cookie })];
    for (const s of sockets) expect((await s.next('snapshot')).utterances).toEqual([]);
    const events = [
      { type: 'interim' as const, role: 'agent' as const, segmentId: 'seg-"q"', text: 'héllo "there"' },
      { type: 'agent_state' as const, state: 'speaking' as const },
      ...[0, 1, 2, 3].map((seq) => ({ type: 'utterance' as const, utterance: utterance(seq) })),
    ];
    // The agent's retries of one batch, racing on two gateways.
    const answers = await Promise.all([gwA, gwB, gwA, gwB].map((gw) => ingest(gw.url, id, events)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.reduce((n, a) => n + (a.body.accepted as number), 0)).toBe(4 * 2 + 4);
    for (const s of sockets) {
      expect(await s.next('interim')).toMatchObject({ segmentId: 'seg-"q"', text: 'héllo "there"', role: 'agent' });
      expect(await s.next('agent_state')).toMatchObject({ state: 'speaking' });
      const seqs: number[] = [];
      while (seqs.length < 4) seqs.push((await s.next('utterance')).utterance.seq);
      expect(seqs.sort()).toEqual([0, 1, 2, 3]);
      await new Promise((r) => setTimeout(r, 100));
      expect(s.queued().filter((m) => m.type === 'utterance')).toEqual([]);
      s.ws.close();
    }
    const late = await openTranscript(gwB.url, id, { cookie });
    expect((await late.next('snapshot')).utterances).toEqual([0, 1, 2, 3].map((seq) => utterance(seq)));
    late.ws.close();
  });

  it('fans out across gateways: what the agent ingests through A reaches a client on B', async () => {
    const { id, cookie } = await userCall(gwA);
    const onB = await openTranscript(gwB.url, id, { cookie });
    await onB.next('snapshot');
    const latencies: number[] = [];
    for (let seq = 0; seq < 40; seq++) {
      const t0 = performance.now();
      await ingest(gwA.url, id, [{ type: 'utterance', utterance: utterance(seq) }]);
      const m = await onB.next('utterance');
      latencies.push(performance.now() - t0);
      expect(m.utterance.seq).toBe(seq);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `ingest→WS across gateways over 40 round trips: p50 ${latencies[20]!.toFixed(1)} ms, max ${latencies[39]!.toFixed(1)} ms`,
    );
    onB.ws.close();
  });

  it('answers malformed client frames with error messages and stays usable; an oversize frame closes with 1009', async () => {
    const { id, cookie } = await userCall();
    const s = await openTranscript(gwA.url, id, { cookie });
    await s.next('snapshot');
    s.ws.send('not json');
    expect(await s.next()).toMatchObject({ type: 'error', code: 'invalid_json' });
    s.ws.send(JSON.stringify({ type: 'subscribe', conversationId: randomUUID() }));
    expect(await s.next()).toMatchObject({ type: 'error', code: 'validation_failed' });
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await s.next()).toMatchObject({ type: 'error', code: 'unsupported_frame' });
    s.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }); // invalid UTF-8 text
    expect(await s.next()).toMatchObject({ type: 'error', code: 'invalid_json' });
    s.ws.send(JSON.stringify({ type: 'ping' }));
    expect(await s.next()).toMatchObject({ type: 'pong', conversationId: id });
    await ingest(gwA.url, id, [{ type: 'agent_state', state: 'speaking' }]);
    expect(await s.next()).toMatchObject({ type: 'agent_state', state: 'speaking' });

    s.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(MAX_CLIENT_FRAME_BYTES) }));
    expect((await s.closed).code).toBe(1009);
  });

  it('closes sockets with 1001 when its gateway shuts down, and the client can resume on another with a full snapshot', async () => {
    const gwC = await startTestGateway({ database: gwA.database, redisPrefix: gwA.redisPrefix });
    const { id, cookie } = await userCall(gwC);
    await ingest(gwC.url, id, [{ type: 'utterance', utterance: utterance(0) }]);
    const s = await openTranscript(gwC.url, id, { cookie });
    await s.next('snapshot');
    const t0 = performance.now();
    await gwC.close();
    expect((await s.closed).code).toBe(1001);
    expect(performance.now() - t0).toBeLessThan(2000);
    await ingest(gwA.url, id, [{ type: 'utterance', utterance: utterance(1) }]);
    const resumed = await openTranscript(gwA.url, id, { cookie });
    expect((await resumed.next('snapshot')).utterances.map((u) => u.seq)).toEqual([0, 1]);
    resumed.ws.close();
  });
});

describe('after a Redis restart', () => {
  it('open sockets catch up from the store on what was published while the bus was down', async () => {
    const redis = new OwnRedis(await freePort());
    await redis.start();
    const own = await startTestGateway({ env: { REDIS_URL: redis.url } });
    try {
      const c = await signedInClient(own, await createUser(own));
      const { conversationId: id } = (await c.post('/api/calls', {})).body;
      const socket = await openTranscript(own.url, id, { cookie: c.cookieHeader() });
      await socket.next('snapshot');
      expect((await ingest(own.url, id, [{ type: 'utterance', utterance: utterance(0) }])).status).toBe(200);
      expect((await socket.next('utterance')).utterance.seq).toBe(0);

      await redis.kill('SIGKILL');
      // An utterance stored while the bus is down (its publish was lost, e.g. a retry that raced the
      // subscriber's re-subscription).
      const conv = await own.database.db('conversations').where({ id }).first('user_id');
      const u = utterance(1);
      await own.database.db('utterances').insert({
        conversation_id: id,
        user_id: conv.user_id,
        seq: u.seq,
        role: u.role,
        text: u.text,
        language: u.language,
        started_at: u.startedAt,
        ended_at: u.endedAt,
        interrupted: u.interrupted,
      });
      await redis.start();

      const caught = await socket.next('utterance', 10_000);
      expect(caught.utterance.seq).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(socket.queued().filter((m) => m.type === 'utterance')).toEqual([]);
      socket.ws.close();
    } finally {
      await own.stop();
      await redis.kill();
    }
  });
});
