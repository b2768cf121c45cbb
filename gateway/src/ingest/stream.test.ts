import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { INGEST_STREAM_PATH, type IngestStreamAnswer } from '@parley/protocol';
import { signRequest } from '@parley/protocol/signature';
import { TEST_INGEST_SECRET } from '@parley/testkit';
import { openTranscript, utterance } from '@parley/testkit/calls';
import { ingestFixture, withDatabaseGone } from '@parley/testkit/ingest-fixture';

const { gw, userCall, rows } = ingestFixture();

/** Opens the ingest stream as the agent does; resolves with the socket, or the upgrade's status. */
function openStream(signature: string | null, base = gw().url): Promise<WebSocket | number> {
  const url = base.replace(/^http/, 'ws') + INGEST_STREAM_PATH;
  const ws = new WebSocket(url, { headers: signature ? { 'x-parley-signature': signature } : {} });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

const signed = () => signRequest(TEST_INGEST_SECRET, INGEST_STREAM_PATH, '');

/** Sends frames and collects the answers by id. */
function answers(ws: WebSocket) {
  const got = new Map<number, IngestStreamAnswer>();
  const waiters: Array<() => void> = [];
  ws.on('message', (d) => {
    const a = JSON.parse(d.toString()) as IngestStreamAnswer;
    got.set(a.id, a);
    for (const w of waiters.splice(0)) w();
  });
  return async (id: number, timeoutMs = 5000): Promise<IngestStreamAnswer> => {
    const deadline = Date.now() + timeoutMs;
    while (!got.has(id)) {
      if (Date.now() > deadline) throw new Error(`no answer to frame ${id}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return got.get(id)!;
  };
}

const closed = (ws: WebSocket) => new Promise<number>((r) => ws.once('close', (code) => r(code)));

describe(`GET ${INGEST_STREAM_PATH} (the agent's ingest stream)`, () => {
  it('refuses an upgrade without a valid signature over the stream path with 401', async () => {
    const forged = [
      null,
      signRequest('not-the-secret', INGEST_STREAM_PATH, ''),
      signRequest(TEST_INGEST_SECRET, INGEST_STREAM_PATH, '', Date.now() - 10 * 60_000),
      // A signature made for a batch POST does not open the stream.
      signRequest(TEST_INGEST_SECRET, `/internal/conversations/${randomUUID()}/events`, ''),
    ];
    for (const s of forged) expect(await openStream(s)).toBe(401);
  });

  it('stores each batch and answers it by id as the POST route would; resends are duplicates, live sockets see each utterance once', async () => {
    const { c, id } = await userCall();
    const live = await openTranscript(gw().url, id, { cookie: c.cookieHeader() });
    await live.next('snapshot');
    const ws = (await openStream(signed())) as WebSocket;
    const answer = answers(ws);
    const frame = (n: number, seqs: number[]) =>
      JSON.stringify({
        id: n,
        conversationId: id,
        events: seqs.map((s) => ({ type: 'utterance', utterance: utterance(s, { text: `stream words ${s}` }) })),
      });
    ws.send(frame(7, [0, 1]));
    ws.send(frame(8, [2]));
    expect(await answer(7)).toEqual({ id: 7, status: 200, body: { accepted: 2, duplicates: 0 } });
    expect(await answer(8)).toEqual({ id: 8, status: 200, body: { accepted: 1, duplicates: 0 } });
    // The agent resends a batch whose answer it never saw (its socket dropped): nothing twice.
    ws.send(frame(9, [1, 2, 3]));
    expect(await answer(9)).toEqual({ id: 9, status: 200, body: { accepted: 1, duplicates: 2 } });
    expect(await rows(id)).toEqual([0, 1, 2, 3].map((s) => ({ seq: s, text: `stream words ${s}` })));
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) seen.push((await live.next('utterance')).utterance.seq);
    await new Promise((r) => setTimeout(r, 300));
    expect([...seen, ...live.queued().flatMap((m) => (m.type === 'utterance' ? [m.utterance.seq] : []))]).toEqual([
      0, 1, 2, 3,
    ]);

    // Errors answer the frame, with the POST route's status and code; the stream stays open.
    ws.send(
      JSON.stringify({
        id: 10,
        conversationId: randomUUID(),
        events: [{ type: 'utterance', utterance: utterance(0) }],
      }),
    );
    expect(await answer(10)).toMatchObject({ id: 10, status: 404, body: { error: { code: 'not_found' } } });
    ws.send(JSON.stringify({ id: 11, conversationId: id, events: [{ type: 'utterance', utterance: { seq: -1 } }] }));
    expect(await answer(11)).toMatchObject({ id: 11, status: 400, body: { error: { code: 'validation_failed' } } });
    ws.send(JSON.stringify({ id: 12, conversationId: id, events: [] }));
    expect(await answer(12)).toMatchObject({ status: 400 });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(await rows(id)).toHaveLength(4);

    // Nothing of this stream is logged: not a stored batch, not an answered error, no transcript text.
    expect(gw().logs.lines.filter((l) => l.includes('"feature":"ingest-stream"'))).toEqual([]);
    expect(gw().logs.text).not.toContain('stream words');
    ws.close();
    live.ws.close();
  });

  it('closes a stream that sends what cannot be answered: no id (1008), not JSON (1007), binary (1003)', async () => {
    const cases: Array<[string | Buffer, number]> = [
      [JSON.stringify({ conversationId: randomUUID(), events: [] }), 1008],
      ['{"id": 1, "events": [', 1007],
      [Buffer.from([1, 2, 3]), 1003],
    ];
    for (const [data, code] of cases) {
      const ws = (await openStream(signed())) as WebSocket;
      const done = closed(ws);
      ws.send(data);
      expect(await done).toBe(code);
    }
  });

  it('answers 503 while storage is down and logs that failure once, without the transcript text or the signature', async () => {
    await withDatabaseGone(async (lone, id) => {
      const signature = signed();
      const ws = (await openStream(signature, lone.url)) as WebSocket;
      const answer = answers(ws);
      const mark = lone.logs.lines.length;
      const said = 'my card number is 4111 stream failure words';
      ws.send(
        JSON.stringify({
          id: 1,
          conversationId: id,
          events: [{ type: 'utterance', utterance: utterance(0, { text: said }) }],
        }),
      );
      expect(await answer(1)).toMatchObject({ id: 1, status: 503, body: { error: { code: 'service_unavailable' } } });
      ws.close();
      const logged = lone.logs.lines.slice(mark);
      const failures = logged.filter((l) => l.includes('"feature":"ingest-stream"'));
      expect(failures).toHaveLength(1);
      expect(JSON.parse(failures[0]!)).toMatchObject({
        level: 40,
        conversationId: id,
        msg: 'ingest failed: storage unavailable',
      });
      for (const secret of [said, '4111', signature, TEST_INGEST_SECRET])
        expect(logged.join('\n')).not.toContain(secret);
    });
  });
});
