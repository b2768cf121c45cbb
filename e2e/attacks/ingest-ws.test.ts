/**
 * Attacks on the two non-cookie doors: the agent's signed ingest (forged, tampered, replayed,
 * expired, future-dated, moved to another conversation) and the transcript WebSocket (hijacking
 * from a foreign origin, frame floods, oversize frames).
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signRequest } from '@parley/protocol/signature';
import { MAX_CLIENT_FRAME_BYTES, TRANSCRIPT_WS_PATH } from '@parley/protocol';
import { startTestGateway, TEST_INGEST_SECRET, TestClient, type TestGateway } from '@parley/testkit';
import { ingest, openTranscript, utterance, type TranscriptSocket } from '@parley/testkit/calls';
import { registerUser, type User } from './support';

let gw: TestGateway;
let owner: User;
beforeAll(async () => {
  gw = await startTestGateway({ env: { RATE_LIMIT_LOGIN_PER_IP: '1000' } });
  owner = await registerUser(gw, 'owner');
});
afterAll(async () => gw?.stop());

const newCall = async (u = owner) => (await u.client.post('/api/calls', {})).body.conversationId as string;
const rows = (id: string) =>
  gw.database.db('utterances').where({ conversation_id: id }).orderBy('seq').select('seq', 'text');
const eventsPath = (id: string) => `/internal/conversations/${id}/events`;
const post = (id: string, raw: string, signature?: string) =>
  new TestClient(gw.url, null).post(eventsPath(id), undefined, {
    raw,
    headers: { 'content-type': 'application/json', ...(signature ? { 'x-parley-signature': signature } : {}) },
  });

describe('forged and replayed agent ingest', () => {
  it('refuses malformed, future-dated, re-keyed and cookie-authenticated requests with 401, storing nothing', async () => {
    const id = await newCall();
    const raw = JSON.stringify({ events: [{ type: 'utterance', utterance: utterance(0, { text: 'forged words' }) }] });
    const now = Date.now();
    const path = eventsPath(id);
    const mac = (t: number, key = TEST_INGEST_SECRET) =>
      createHmac('sha256', key).update(`${t}.${path}.${raw}`).digest('hex');
    const forgeries = [
      signRequest(TEST_INGEST_SECRET, path, raw, now + 10 * 60_000), // from the future
      signRequest(TEST_INGEST_SECRET, path, raw, now - 5 * 60_000 - 1000), // just expired
      signRequest('', path, raw),
      signRequest('test-session-secret-0123456789abcdefghijkl', path, raw), // another of the gateway's secrets
      `t=${now},v1=${createHmac('sha256', TEST_INGEST_SECRET).update(`${now}.${raw}`).digest('hex')}`, // body only, no path
      `t=${now},v1=${mac(now).toUpperCase()}`,
      `t=${now},v1=${mac(now).slice(0, 63)}`,
      `t=${now},v1=${mac(now)},v1=${mac(now)}`,
      `v1=${mac(now)},t=${now}`,
      `t=${now + 1},v1=${mac(now)}`, // timestamp edited after signing
      `t=abc,v1=${mac(now)}`,
      `t=${now},v1=${'0'.repeat(64)}`,
      ' '.repeat(10_000),
    ];
    for (const sig of forgeries) {
      const r = await post(id, raw, sig);
      expect(r.status, sig.slice(0, 40)).toBe(401);
      expect(r.body.error.code).toBe('unauthenticated');
    }
    // A browser's cookie session is no credential for /internal.
    const viaCookie = await owner.client.post(`/internal/conversations/${id}/events`, JSON.parse(raw));
    expect(viaCookie.status).toBe(401);
    expect(await rows(id)).toEqual([]);
  });

  it('a captured batch replayed many times stores each utterance once and live clients see each once', async () => {
    const id = await newCall();
    const socket = await openTranscript(gw.url, id, { cookie: owner.client.cookieHeader() });
    await socket.next('snapshot');
    const raw = JSON.stringify({ events: [0, 1, 2].map((s) => ({ type: 'utterance', utterance: utterance(s) })) });
    const sig = signRequest(TEST_INGEST_SECRET, eventsPath(id), raw);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await post(id, raw, sig)).body);
    expect(answers[0]).toEqual({ accepted: 3, duplicates: 0 });
    for (const a of answers.slice(1)) expect(a).toEqual({ accepted: 0, duplicates: 3 });
    expect((await rows(id)).map((r) => r.seq)).toEqual([0, 1, 2]);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) seen.push((await socket.next('utterance')).utterance.seq);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.sort()).toEqual([0, 1, 2]);
    expect(socket.queued().filter((m) => m.type === 'utterance')).toEqual([]);
    socket.ws.close();
  });

  // The signature covers the path: a batch captured on its way to conversation A cannot be
  // replayed into conversation B.
  it("a batch signed for one conversation is refused on another conversation's URL", async () => {
    const a = await newCall();
    const b = await newCall();
    const raw = JSON.stringify({ events: [{ type: 'utterance', utterance: utterance(0, { text: 'meant for A' }) }] });
    const sig = signRequest(TEST_INGEST_SECRET, eventsPath(a), raw);
    expect((await post(a, raw, sig)).status).toBe(200);
    const moved = await post(b, raw, sig);
    expect(moved.status).toBe(401);
    expect(await rows(b)).toEqual([]);
  });
});

describe('cross-site WebSocket hijacking', () => {
  const refusal = (p: Promise<TranscriptSocket>) =>
    p.then(
      (s) => (s.ws.close(), 101),
      (e: { status?: number }) => e.status,
    );

  it("refuses every foreign Origin before the handshake, even with the victim's cookie", async () => {
    const id = await newCall();
    const cookie = owner.client.cookieHeader();
    const port = new URL(gw.url).port;
    for (const origin of [
      'https://evil.example',
      `http://127.0.0.1.evil.example:${port}`,
      `http://127.0.0.1:${Number(port) + 1}`,
      `https://127.0.0.1:${port}`,
      `ws://127.0.0.1:${port}`,
      'null',
      'file://',
    ]) {
      expect(await refusal(openTranscript(gw.url, id, { cookie, origin })), origin).toBe(403);
    }
    expect(await refusal(openTranscript(gw.url, id, { cookie, origin: null }))).toBe(403);
    expect(await refusal(openTranscript(gw.url, id, { cookie }))).toBe(101); // control: own origin
  });

  it('closes a flooding client with 1008 and an oversize frame with 1009; the gateway keeps serving', async () => {
    const id = await newCall();
    const cookie = owner.client.cookieHeader();
    const flood = await openTranscript(gw.url, id, { cookie });
    await flood.next('snapshot');
    for (let i = 0; i < 150 && flood.ws.readyState === WebSocket.OPEN; i++) flood.ws.send('{"type":"ping"}');
    expect((await flood.closed).code).toBe(1008);

    const big = await openTranscript(gw.url, id, { cookie });
    await big.next('snapshot');
    big.ws.send(Buffer.alloc(MAX_CLIENT_FRAME_BYTES * 256, 0x61), { binary: false });
    expect((await big.closed).code).toBe(1009);

    const fine = await openTranscript(gw.url, id, { cookie });
    await fine.next('snapshot');
    await ingest(gw.url, id, [{ type: 'utterance', utterance: utterance(0) }]);
    expect((await fine.next('utterance')).utterance.seq).toBe(0);
    fine.ws.close();
    expect(TRANSCRIPT_WS_PATH).toBe('/ws/transcripts');
  });
});
