import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signRequest } from '@parley/protocol/signature';
import { TEST_INGEST_SECRET, TestClient } from '@parley/testkit';
import { ingest, openTranscript, utterance } from '@parley/testkit/calls';
import { ingestFixture, withDatabaseGone } from '@parley/testkit/ingest-fixture';

const fixture = ingestFixture();
const { gw, userCall } = fixture;
const rows = (id: string) => fixture.rows(id, ['seq', 'role', 'text', 'interrupted', 'metrics']);

describe('POST /internal/conversations/:id/events', () => {
  it('refuses unsigned, wrongly signed and expired requests with 401', async () => {
    const { id } = await userCall();
    const raw = JSON.stringify({ events: [{ type: 'utterance', utterance: utterance(0) }] });
    const path = `/internal/conversations/${id}/events`;
    const c = new TestClient(gw().url, null);
    const unsigned = await c.post(path, undefined, { raw, headers: { 'content-type': 'application/json' } });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error.code).toBe('unauthenticated');
    const wrongKey = await c.post(path, undefined, {
      raw,
      headers: { 'x-parley-signature': signRequest('not-the-secret', path, raw) },
    });
    expect(wrongKey.status).toBe(401);
    const other = JSON.stringify({ events: [{ type: 'utterance', utterance: utterance(1) }] });
    const swapped = await c.post(path, undefined, {
      raw: other,
      headers: { 'x-parley-signature': signRequest(TEST_INGEST_SECRET, path, raw) },
    });
    expect(swapped.status).toBe(401);
    const expired = await c.post(path, undefined, {
      raw,
      headers: { 'x-parley-signature': signRequest(TEST_INGEST_SECRET, path, raw, Date.now() - 10 * 60_000) },
    });
    expect(expired.status).toBe(401);
    expect(await rows(id)).toHaveLength(0);
    expect((await ingest(gw().url, id, [{ type: 'utterance', utterance: utterance(0) }])).status).toBe(200);
    expect(await rows(id)).toHaveLength(1);
  });

  it('stores utterances once: replayed, duplicated and out-of-order batches are idempotent', async () => {
    const { id } = await userCall();
    const metrics = {
      endOfUtteranceDelayMs: 320,
      transcriptionDelayMs: 15,
      llmTtftMs: 140,
      ttsTtfbMs: 95,
      e2eLatencyMs: 1010,
    };
    const first = await ingest(gw().url, id, [
      { type: 'call_started', at: new Date(Date.now() - 10_000).toISOString() },
      { type: 'utterance', utterance: utterance(2) },
      { type: 'utterance', utterance: utterance(0) },
    ]);
    expect(first.body).toEqual({ accepted: 3, duplicates: 0 });
    const replay = await ingest(gw().url, id, [
      { type: 'utterance', utterance: utterance(2) },
      { type: 'utterance', utterance: utterance(0) },
    ]);
    expect(replay.body).toEqual({ accepted: 0, duplicates: 2 });
    const mixed = await ingest(gw().url, id, [
      { type: 'utterance', utterance: utterance(1, { metrics, interrupted: true }) },
      { type: 'utterance', utterance: utterance(1) },
      { type: 'utterance', utterance: utterance(0) },
      { type: 'utterance', utterance: utterance(3) },
    ]);
    expect(mixed.body).toEqual({ accepted: 2, duplicates: 2 });
    expect(await rows(id)).toEqual([
      { seq: 0, role: 'user', text: 'utterance number 0', interrupted: false, metrics: null },
      { seq: 1, role: 'agent', text: 'utterance number 1', interrupted: true, metrics },
      { seq: 2, role: 'user', text: 'utterance number 2', interrupted: false, metrics: null },
      { seq: 3, role: 'agent', text: 'utterance number 3', interrupted: false, metrics: null },
    ]);
    const conv = await gw().database.db('conversations').where({ id }).first();
    expect(conv).toMatchObject({ status: 'active', turn_count: 4 });
    expect(conv.started_at).not.toBeNull();
  });

  it('keeps a typed turn marked as typed: live, stored, in the history read and for late joiners', async () => {
    const { c, id } = await userCall();
    const sock = await openTranscript(gw().url, id, { cookie: c.cookieHeader() });
    await sock.next('snapshot');
    const typed = utterance(0, { text: 'Biscuit, B-I-S-C-U-I-T', typed: true });
    expect(
      (
        await ingest(gw().url, id, [
          { type: 'utterance', utterance: typed },
          { type: 'utterance', utterance: utterance(1) },
        ])
      ).status,
    ).toBe(200);
    expect((await sock.next('utterance')).utterance).toEqual(typed);
    expect((await sock.next('utterance')).utterance.typed).toBeUndefined();
    sock.ws.close();
    const stored = await fixture.rows(id, ['seq', 'typed']);
    expect(stored).toEqual([
      { seq: 0, typed: true },
      { seq: 1, typed: false },
    ]);
    const detail = (await c.get(`/api/conversations/${id}`)).body;
    expect(detail.utterances.map((u: { typed: boolean }) => u.typed)).toEqual([true, false]);
    const late = await openTranscript(gw().url, id, { cookie: c.cookieHeader() });
    expect((await late.next('snapshot')).utterances.map((u) => u.typed)).toEqual([true, undefined]);
    late.ws.close();
    // Not a boolean: refused as a whole batch, nothing stored.
    const bad = await ingest(gw().url, id, [
      { type: 'utterance', utterance: { ...utterance(2), typed: 'yes' as never } },
    ]);
    expect(bad.status).toBe(400);
    expect(await rows(id)).toHaveLength(2);
  });

  it('records the end once (first end wins) with duration and publishes call_ended once', async () => {
    const { c, id } = await userCall();
    const cookie = c.cookieHeader();
    const sock = await openTranscript(gw().url, id, { cookie });
    await sock.next('snapshot');
    const start = new Date(Date.now() - 65_000);
    const end = new Date(start.getTime() + 61_500);
    await ingest(gw().url, id, [{ type: 'call_started', at: start.toISOString() }]);
    expect(
      (await ingest(gw().url, id, [{ type: 'call_ended', at: end.toISOString(), reason: 'caller_left' }])).status,
    ).toBe(200);
    expect(
      (await ingest(gw().url, id, [{ type: 'call_ended', at: new Date().toISOString(), reason: 'agent_failed' }]))
        .status,
    ).toBe(200);
    expect((await sock.next('call_ended')).reason).toBe('caller_left');
    const conv = await gw().database.db('conversations').where({ id }).first();
    expect(conv).toMatchObject({ status: 'ended', end_reason: 'caller_left', duration_ms: 61_500 });
    expect(new Date(conv.ended_at).toISOString()).toBe(end.toISOString());
    expect((await c.get(`/api/calls/${id}`)).body).toEqual({
      conversationId: id,
      status: 'ended',
      endReason: 'caller_left',
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(sock.queued().filter((m) => m.type === 'call_ended')).toHaveLength(0);
    sock.ws.close();
  });

  it("serves an ended call's whole transcript with a turn its agent replayed after the end (spool), export too", async () => {
    const { c, id } = await userCall();
    const start = new Date(Date.now() - 30_000);
    await ingest(gw().url, id, [
      { type: 'call_started', at: start.toISOString() },
      { type: 'utterance', utterance: utterance(0) },
      { type: 'utterance', utterance: utterance(1) },
      { type: 'call_ended', at: new Date(start.getTime() + 20_000).toISOString(), reason: 'caller_left' },
    ]);
    const seqs = async () =>
      (await c.get(`/api/conversations/${id}`)).body.utterances.map((u: { seq: number }) => u.seq);
    expect(await seqs()).toEqual([0, 1]);
    // The whole read of the ended call is kept as one document (migration 017) and served from it.
    const documents = () => gw().database.db('conversation_transcripts').where({ conversation_id: id }).select('turns');
    expect(await documents()).toEqual([{ turns: 2 }]);
    expect(await seqs()).toEqual([0, 1]);

    // The agent's spool delivers a turn after the call ended: stored, and in every whole read after.
    expect((await ingest(gw().url, id, [{ type: 'utterance', utterance: utterance(2) }])).body).toEqual({
      accepted: 1,
      duplicates: 0,
    });
    expect(await seqs()).toEqual([0, 1, 2]);
    expect(await documents()).toEqual([{ turns: 3 }]);
    expect(await seqs()).toEqual([0, 1, 2]);
    const exported = await c.get(`/api/conversations/${id}/export?format=json`);
    expect(exported.status).toBe(200);
    expect(JSON.stringify(exported.body)).toContain('utterance number 2');
  });

  it('relays a guest call without writing any row, and keeps its transcript for late joiners', async () => {
    const guest = new TestClient(gw().url);
    const { conversationId: id } = (await guest.post('/api/calls', {})).body;
    const before = await gw().database.db('utterances').count({ n: '*' }).first();
    const r = await ingest(gw().url, id, [
      { type: 'call_started', at: new Date().toISOString() },
      { type: 'utterance', utterance: utterance(0) },
      { type: 'utterance', utterance: utterance(1) },
    ]);
    expect(r.body).toEqual({ accepted: 3, duplicates: 0 });
    expect((await ingest(gw().url, id, [{ type: 'utterance', utterance: utterance(1) }])).body).toEqual({
      accepted: 0,
      duplicates: 1,
    });
    expect(await gw().database.db('conversations').where({ id }).first()).toBeUndefined();
    expect(await gw().database.db('utterances').count({ n: '*' }).first()).toEqual(before);
    const sock = await openTranscript(gw().url, id, { cookie: guest.cookieHeader() });
    const snap = await sock.next('snapshot');
    expect(snap.utterances.map((u) => u.seq)).toEqual([0, 1]);
    expect((await guest.get(`/api/calls/${id}`)).body.status).toBe('active');
    sock.ws.close();
  });

  it('access-logs an ingest request only when it fails', async () => {
    const { id } = await userCall();
    const path = `/internal/conversations/${id}/events`;
    const logged = (from: number) =>
      gw()
        .logs.lines.slice(from)
        .filter((l) => l.includes(path));
    let mark = gw().logs.lines.length;
    expect((await ingest(gw().url, id, [{ type: 'utterance', utterance: utterance(0) }])).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(logged(mark)).toEqual([]);
    mark = gw().logs.lines.length;
    expect(
      (await ingest(gw().url, id, [{ type: 'utterance', utterance: utterance(1) }], 'not-the-secret')).status,
    ).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(logged(mark).map((l) => JSON.parse(l).res?.statusCode)).toEqual([401]);
  });

  it('answers 404 for an unknown conversation and 400 for a malformed batch', async () => {
    const unknown = await ingest(gw().url, randomUUID(), [{ type: 'utterance', utterance: utterance(0) }]);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await ingest(gw().url, 'not-a-uuid', [{ type: 'agent_state', state: 'thinking' }])).status).toBe(404);
    const { id } = await userCall();
    const bad = await ingest(gw().url, id, JSON.stringify({ events: [{ type: 'utterance', utterance: { seq: -1 } }] }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect((await ingest(gw().url, id, '{not json')).body.error.code).toBe('invalid_json');
  });
});

describe('ingest while the database is down', () => {
  it('answers 503 service_unavailable (the agent retries), never 500', async () => {
    await withDatabaseGone(async (lone, id) => {
      const r = await ingest(lone.url, id, [{ type: 'utterance', utterance: utterance(0) }]);
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('service_unavailable');
    });
  });
});
