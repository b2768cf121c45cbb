import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { voice } from '@livekit/agents';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IngestBatch, type IngestEvent, type Utterance } from '@parley/protocol';
import { verifyRequest } from '@parley/protocol/signature';
import { DeliveryQueue } from './delivery';
import { GatewayHttpError, postSigned } from './gateway-client';
import { agentTurnMetrics, Reporter } from './reporter';
import { readSpoolFile, recoverSpool, Spool } from './spool';

const SECRET = 'unit-test-secret-0123456789abcdefghijklmnop';

/** A stand-in gateway: verifies signatures, can be told to fail, records accepted batches. */
async function fakeGateway(port = 0) {
  const batches: IngestEvent[][] = [];
  const state = { failNext: 0, failStatus: 503 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      if (
        verifyRequest(SECRET, String(req.headers['x-parley-signature'] ?? ''), (req.url ?? '').split('?')[0]!, body) !==
        'ok'
      ) {
        res.writeHead(401).end('{}');
        return;
      }
      if (state.failNext > 0) {
        state.failNext--;
        res.writeHead(state.failStatus).end('{}');
        return;
      }
      batches.push(IngestBatch.parse(JSON.parse(body)).events);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":1,"duplicates":0}');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    port: (server.address() as AddressInfo).port,
    batches,
    state,
    events: () => batches.flat(),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const utt = (seq: number): IngestEvent => ({
  type: 'utterance',
  utterance: {
    seq,
    role: seq % 2 ? 'agent' : 'user',
    text: `u${seq}`,
    language: 'en',
    startedAt: new Date(1_750_000_000_000).toISOString(),
    endedAt: new Date(1_750_000_001_000).toISOString(),
    interrupted: false,
    metrics: null,
  },
});
const seqs = (events: IngestEvent[]) => events.flatMap((e) => (e.type === 'utterance' ? [e.utterance.seq] : []));

const dirs: string[] = [];
const tmpDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'parley-spool-test-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('DeliveryQueue', () => {
  it('delivers in order through 503s and a gateway that is down and comes back on the same port, without loss or duplicates', async () => {
    let gw = await fakeGateway();
    const port = gw.port;
    const conversationId = randomUUID();
    const dir = tmpDir();
    const spool = new Spool(dir, conversationId);
    const q = new DeliveryQueue({
      conversationId,
      post: (p, body) => postSigned({ url: `http://127.0.0.1:${port}`, secret: SECRET }, p, body, 1000),
      spool,
      baseDelayMs: 20,
      maxDelayMs: 100,
    });
    gw.state.failNext = 2;
    q.push(utt(0));
    q.push(utt(1));
    expect(await q.flush(3000)).toBe(true);
    expect(q.stats.failures).toBe(2);
    const first = gw.events();
    await gw.close(); // gateway gone: connection refused
    for (let s = 2; s < 6; s++) q.push(utt(s));
    await new Promise((r) => setTimeout(r, 150));
    expect(readSpoolFile(spool.file).length).toBe(4); // the backlog is on disk meanwhile
    gw = await fakeGateway(port);
    expect(await q.flush(3000)).toBe(true);
    expect(seqs([...first, ...gw.events()])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(existsSync(spool.file)).toBe(false);
    await gw.close();
  });

  it('coalesces queued interims per segment and agent states, and drops stale interims', async () => {
    const sent: IngestEvent[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new DeliveryQueue({
      conversationId: randomUUID(),
      post: async (_p, body) => {
        await gate;
        sent.push((body as { events: IngestEvent[] }).events);
      },
      staleTransientMs: 50,
    });
    q.push({ type: 'agent_state', state: 'listening' }); // goes in flight, held by the gate
    await new Promise((r) => setTimeout(r, 10));
    q.push({ type: 'interim', role: 'user', segmentId: 'a', text: 'hel' });
    q.push({ type: 'agent_state', state: 'thinking' });
    q.push({ type: 'interim', role: 'user', segmentId: 'a', text: 'hello' });
    q.push({ type: 'interim', role: 'user', segmentId: 'b', text: 'old' });
    q.push({ type: 'agent_state', state: 'speaking' });
    q.push(utt(0));
    release();
    expect(await q.flush(1000)).toBe(true);
    expect(sent[1]).toEqual([
      { type: 'interim', role: 'user', segmentId: 'a', text: 'hello' },
      { type: 'interim', role: 'user', segmentId: 'b', text: 'old' },
      { type: 'agent_state', state: 'speaking' },
      utt(0),
    ]);
    // stale: an interim queued while the gateway is unreachable for longer than staleTransientMs
    let fail = true;
    const later: IngestEvent[] = [];
    const q2 = new DeliveryQueue({
      conversationId: randomUUID(),
      post: async (_p, body) => {
        if (fail) throw new TypeError('fetch failed');
        later.push(...(body as { events: IngestEvent[] }).events);
      },
      staleTransientMs: 50,
      baseDelayMs: 100,
      maxDelayMs: 100,
    });
    q2.push({ type: 'interim', role: 'user', segmentId: 'x', text: 'stale' });
    q2.push(utt(7));
    await new Promise((r) => setTimeout(r, 120));
    fail = false;
    expect(await q2.flush(1000)).toBe(true);
    expect(later).toEqual([utt(7)]);
    expect(q2.stats.droppedTransient).toBe(1);
  });

  it('drops a batch the gateway refuses for good (404) and keeps going; retries 401', async () => {
    const calls: number[] = [];
    let n = 0;
    const q = new DeliveryQueue({
      conversationId: randomUUID(),
      post: async () => {
        n++;
        calls.push(n);
        if (n === 1) throw new GatewayHttpError(401, 'x');
        if (n === 2) throw new GatewayHttpError(404, 'x');
      },
      baseDelayMs: 5,
    });
    q.push(utt(0));
    expect(await q.flush(1000)).toBe(true);
    expect(q.stats.droppedDurable).toBe(1);
    q.push(utt(1));
    expect(await q.flush(1000)).toBe(true);
    expect(calls).toEqual([1, 2, 3]);
  });

  it('flush gives up after its timeout while the gateway stays down', async () => {
    const q = new DeliveryQueue({
      conversationId: randomUUID(),
      post: async () => Promise.reject(new TypeError('fetch failed')),
      baseDelayMs: 10,
    });
    q.push(utt(0));
    const t0 = Date.now();
    expect(await q.flush(200)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(400);
    expect(q.backlog()).toEqual([utt(0)]);
    q.close();
  });
});

describe('recoverSpool', () => {
  it('re-sends files of dead processes once, leaves live ones alone', async () => {
    const gw = await fakeGateway();
    const dir = tmpDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const a = randomUUID();
    const b = randomUUID();
    writeFileSync(
      path.join(dir, `${a}.${dead}.jsonl`),
      [utt(3), utt(4)].map((e) => JSON.stringify(e)).join('\n') + '\n',
    );
    writeFileSync(path.join(dir, `${b}.${process.ppid}.jsonl`), JSON.stringify(utt(9)) + '\n');
    const r = await recoverSpool(dir, { url: gw.url, secret: SECRET });
    expect(r).toEqual({ delivered: 2, dropped: 0, kept: 0 });
    expect(seqs(gw.events())).toEqual([3, 4]);
    expect(readdirSync(dir)).toEqual([`${b}.${process.ppid}.jsonl`]);
    expect((await recoverSpool(dir, { url: gw.url, secret: SECRET })).delivered).toBe(0);
    await gw.close();
  });

  it('re-sends a file handed to it by a job host that lives on; files of one conversation never overwrite each other', async () => {
    const gw = await fakeGateway();
    gw.state.failNext = 2; // the gateway is down for the first pass
    const dir = tmpDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const c = randomUUID();
    // One conversation: a job that died (seqs 3, 4), then a replacement whose call ended in a job host
    // that runs on (this process stands for the host, its worker is `process.pid` too: handOver(owner)).
    writeFileSync(
      path.join(dir, `${c}.${dead}.jsonl`),
      [utt(3), utt(4)].map((e) => JSON.stringify(e)).join('\n') + '\n',
    );
    const spool = new Spool(dir, c);
    spool.write([utt(6), utt(7)]);
    const handed = spool.handOver(process.pid)!;
    expect(path.basename(handed)).toMatch(new RegExp(`^${c}\\.${process.pid}\\.${process.pid}x[0-9a-f]{8}\\.jsonl$`));
    spool.write([utt(8)]); // after the hand-over the job's spool writes nothing
    expect(await recoverSpool(dir, { url: gw.url, secret: SECRET })).toEqual({ delivered: 0, dropped: 0, kept: 4 });
    // Both files kept, under names of their own.
    expect(readdirSync(dir)).toHaveLength(2);
    expect(await recoverSpool(dir, { url: gw.url, secret: SECRET })).toEqual({ delivered: 4, dropped: 0, kept: 0 });
    expect(seqs(gw.events()).sort()).toEqual([3, 4, 6, 7]);
    expect(readdirSync(dir)).toEqual([]);
    await gw.close();
  });
});

describe('Reporter', () => {
  it('numbers utterances, converts per-message metrics from seconds to ms and keeps the interrupted flag', () => {
    const pushed: IngestEvent[] = [];
    const r = new Reporter({ push: (e: IngestEvent) => pushed.push(e) } as never, 'es');
    const t = 1_750_000_000;
    r.callStarted(t * 1000);
    r.userTranscribed('hola', false);
    r.userTranscribed('hola qué tal', true);
    r.userTranscribed('cómo', false);
    r.userTurnCompleted('hola qué tal cómo');
    r.itemAdded({
      id: '1',
      role: 'user',
      textContent: 'hola qué tal cómo',
      interrupted: false,
      createdAt: 0,
      metrics: { startedSpeakingAt: t, stoppedSpeakingAt: t + 1.5, endOfTurnDelay: 0.55, transcriptionDelay: 0.32 },
    });
    r.itemAdded({
      id: '2',
      role: 'assistant',
      textContent: 'Muy bien',
      interrupted: true,
      createdAt: 0,
      metrics: {
        startedSpeakingAt: t + 2.5,
        stoppedSpeakingAt: t + 3,
        llmNodeTtft: 0.14,
        ttsNodeTtfb: 0.09,
        e2eLatency: 1.0,
      },
    });
    r.userTurnCompleted('never committed');
    r.callEnded('caller_left', (t + 5) * 1000);
    r.callEnded('agent_failed');
    const utterances = pushed.flatMap((e) => (e.type === 'utterance' ? [e.utterance] : [])) as Utterance[];
    expect(utterances.map((u) => [u.seq, u.role, u.text, u.interrupted])).toEqual([
      [0, 'user', 'hola qué tal cómo', false],
      [1, 'agent', 'Muy bien', true],
      [2, 'user', 'never committed', false],
    ]);
    expect(utterances[0]!.startedAt).toBe(new Date(t * 1000).toISOString());
    expect(utterances[0]!.language).toBe('es');
    expect(utterances[1]!.metrics).toEqual({
      endOfUtteranceDelayMs: 550,
      transcriptionDelayMs: 320,
      llmTtftMs: 140,
      ttsTtfbMs: 90,
      e2eLatencyMs: 1000,
    });
    const interims = pushed.filter((e) => e.type === 'interim');
    expect(interims.map((e) => (e as { text: string }).text)).toEqual(['hola', 'hola qué tal', 'hola qué tal cómo']);
    expect(pushed.filter((e) => e.type === 'call_ended')).toEqual([
      { type: 'call_ended', at: new Date((t + 5) * 1000).toISOString(), reason: 'caller_left' },
    ]);
    expect(pushed[0]).toEqual({ type: 'call_started', at: new Date(t * 1000).toISOString() });
  });

  it('gives a greeting (no LLM) only its TTS figure', () => {
    expect(
      agentTurnMetrics(
        { ttsNodeTtfb: 0.05 },
        { endOfUtteranceDelayMs: 1, transcriptionDelayMs: 1, llmTtftMs: null, ttsTtfbMs: null, e2eLatencyMs: null },
      ),
    ).toEqual({
      endOfUtteranceDelayMs: null,
      transcriptionDelayMs: null,
      llmTtftMs: null,
      ttsTtfbMs: 50,
      e2eLatencyMs: null,
    });
  });
});

describe('Reporter: talking over the agent', () => {
  const user = (text: string, startedSpeakingAt: number) => ({
    id: text,
    role: 'user' as const,
    textContent: text,
    interrupted: false,
    createdAt: 0,
    metrics: { startedSpeakingAt, stoppedSpeakingAt: startedSpeakingAt + 1 },
  });
  const agent = (text: string, startedSpeakingAt: number, interrupted: boolean, extra = {}) => ({
    id: text,
    role: 'assistant' as const,
    textContent: text,
    interrupted,
    createdAt: 0,
    metrics: { startedSpeakingAt, stoppedSpeakingAt: startedSpeakingAt + 1, ...extra },
  });
  const utterancesOf = (pushed: IngestEvent[]) =>
    pushed.flatMap((e) => (e.type === 'utterance' ? [e.utterance] : [])) as Utterance[];

  it('stores the interrupted greeting before the turn that cut it off, as played, without LLM figures', () => {
    const pushed: IngestEvent[] = [];
    const r = new Reporter({ push: (e: IngestEvent) => pushed.push(e) } as never, 'en');
    const listeners = new Map<string, (ev: any) => void>();
    r.attach({ on: (name: string, fn: (ev: any) => void) => listeners.set(name, fn) } as never);
    r.scriptedReply('Hi, this is Parley. What would you like to talk about?');
    listeners.get(voice.AgentSessionEventTypes.AgentStateChanged)!({ newState: 'speaking' });
    r.userTurnCompleted('what is the weather like on the moon');
    // The framework commits the user's turn first, then the greeting it interrupted.
    r.itemAdded(user('what is the weather like on the moon', 100.4));
    expect(utterancesOf(pushed)).toEqual([]);
    r.itemAdded(agent('Hi, this is', 100, true, { llmNodeTtft: 0.001, ttsNodeTtfb: 0.05 }));
    r.itemAdded(agent('The moon has no weather.', 103, false, { llmNodeTtft: 0.2, e2eLatency: 0.9 }));
    r.callEnded('caller_left');
    const u = utterancesOf(pushed);
    expect(u.map((x) => [x.seq, x.role, x.text, x.interrupted])).toEqual([
      [0, 'agent', 'Hi, this is', true],
      [1, 'user', 'what is the weather like on the moon', false],
      [2, 'agent', 'The moon has no weather.', false],
    ]);
    expect(u[0]!.metrics).toEqual({
      endOfUtteranceDelayMs: null,
      transcriptionDelayMs: null,
      llmTtftMs: null,
      ttsTtfbMs: 50,
      e2eLatencyMs: null,
    });
    expect(u[2]!.metrics?.llmTtftMs).toBe(200);
  });

  it('keeps the spoken order when the caller spoke first, and never holds a turn forever', () => {
    vi.useFakeTimers();
    try {
      const pushed: IngestEvent[] = [];
      const r = new Reporter({ push: (e: IngestEvent) => pushed.push(e) } as never, 'en');
      const listeners = new Map<string, (ev: any) => void>();
      r.attach({ on: (name: string, fn: (ev: any) => void) => listeners.set(name, fn) } as never);
      listeners.get(voice.AgentSessionEventTypes.AgentStateChanged)!({ newState: 'speaking' });
      r.itemAdded(user('first', 200));
      r.itemAdded(agent('cut off reply', 201, true));
      expect(utterancesOf(pushed).map((x) => x.text)).toEqual(['first', 'cut off reply']);

      listeners.get(voice.AgentSessionEventTypes.AgentStateChanged)!({ newState: 'speaking' });
      r.itemAdded(user('second', 300));
      expect(utterancesOf(pushed)).toHaveLength(2);
      vi.advanceTimersByTime(3100);
      expect(utterancesOf(pushed).map((x) => x.text)).toEqual(['first', 'cut off reply', 'second']);
      r.callEnded('caller_left');
      expect(utterancesOf(pushed)).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
