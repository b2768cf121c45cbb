import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestBatch, type IngestEvent } from '@parley/protocol';
import { startIngestGate, startTestGateway, TEST_INGEST_SECRET, type TestGateway } from '@parley/testkit';
import { userWithCall } from '@parley/testkit/accounts';
import { utterance } from '@parley/testkit/calls';
import { DeliveryQueue } from './delivery';
import { IngestStream } from './ingest-stream';

/**
 * The job's transcript delivery over the ingest stream, against the real gateway: what the queue
 * pushes is stored once and in order, a stream cut while a batch is unanswered loses nothing and
 * duplicates nothing, and a gateway without the stream is reached by POST.
 */

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.stop());

const userCall = async () => (await userWithCall(gw)).id;

const stored = (id: string) =>
  gw.database.db('utterances').where({ conversation_id: id }).orderBy('seq').pluck('seq') as Promise<number[]>;

const say = (seq: number): IngestEvent => ({ type: 'utterance', utterance: utterance(seq) });

describe('IngestStream (the DeliveryQueue over one WebSocket)', () => {
  it('delivers every event in order over one stream, with no HTTP request per batch', async () => {
    const id = await userCall();
    const stream = new IngestStream({ url: gw.url, secret: TEST_INGEST_SECRET });
    const queue = new DeliveryQueue({ conversationId: id, post: stream.post, baseDelayMs: 20 });
    queue.push({ type: 'call_started', at: new Date().toISOString() });
    for (let s = 0; s < 30; s++) {
      queue.push({ type: 'interim', role: 'user', segmentId: `seg-${s}`, text: 'partial words' });
      queue.push(say(s));
      if (s % 7 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(await queue.flush(10_000)).toBe(true);
    expect(await stored(id)).toEqual([...Array(30).keys()]);
    expect(queue.stats.batches).toBeGreaterThan(1);
    expect(queue.stats.failures).toBe(0);
    expect(stream.transport).toBe('stream');
    // Every batch was stored through the stream: the gateway's HTTP metrics saw no ingest request.
    const exposition = await gw.ctx.metrics.registry.metrics();
    expect(exposition).toMatch(/parley_ingest_batches_total\{outcome="stored"\} \d+/);
    expect(exposition).not.toContain('http_route="/internal/conversations/:id/events"');
    queue.close();
    stream.close();
  });

  it('a stream cut while a batch is unanswered: the batch is resent on a new stream, stored once', async () => {
    const id = await userCall();
    const gate = await startIngestGate(gw.url);
    const stream = new IngestStream({ url: gate.url, secret: TEST_INGEST_SECRET }, 3000);
    const queue = new DeliveryQueue({ conversationId: id, post: stream.post, baseDelayMs: 20, maxDelayMs: 200 });
    queue.push(say(0));
    expect(await queue.flush(5000)).toBe(true);

    gate.hold((c) => c === id);
    queue.push(say(1));
    queue.push(say(2));
    const held = await gate.waitForHeld(id, 5000);
    expect(held.seqs).toEqual([1]); // sent at once; seq 2 waits behind it in the queue
    expect(held.senderConnected).toBe(true);
    expect(await stored(id)).toEqual([0]);

    gate.cutStreams(); // the proxy (or the gateway behind it) goes away with the batch unanswered
    expect(held.senderConnected).toBe(false);
    await gate.release();
    expect(gate.dropped.map((d) => d.seqs)).toEqual([[1]]);
    queue.push(say(3));
    expect(await queue.flush(10_000)).toBe(true);
    expect(await stored(id)).toEqual([0, 1, 2, 3]);
    expect(queue.stats.failures).toBeGreaterThanOrEqual(1);
    const answered = gate.answers.filter((a) => a.seqs.includes(1));
    expect(answered.map((a) => a.status)).toEqual([200]);
    queue.close();
    stream.close();
    await gate.close();
  });

  it('reaches a gateway without the stream (404 on upgrade) by signed POST', async () => {
    const posts: IngestEvent[][] = [];
    const old = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        posts.push(IngestBatch.parse(JSON.parse(Buffer.concat(chunks).toString())).events);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":1,"duplicates":0}');
      });
    });
    old.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((r) => old.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(old.address() as AddressInfo).port}`;
    const stream = new IngestStream({ url, secret: TEST_INGEST_SECRET });
    const queue = new DeliveryQueue({
      conversationId: '00000000-0000-4000-8000-000000000001',
      post: stream.post,
      baseDelayMs: 20,
    });
    queue.push(say(0));
    queue.push(say(1));
    expect(await queue.flush(5000)).toBe(true);
    expect(posts.flat()).toEqual([say(0), say(1)]);
    expect(stream.transport).toBe('post');
    expect(queue.stats.droppedDurable).toBe(0);
    queue.close();
    stream.close();
    await new Promise<void>((r) => (old.closeAllConnections(), old.close(() => r())));
  });
});
