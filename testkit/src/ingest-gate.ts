// An HTTP proxy between the agent and the gateway (the agent's GATEWAY_URL) that can hold transcript
// batches: fault tests use it to PROVE events are in flight when they inject a fault — a batch
// carrying utterance seq N was sent by the agent and is not acknowledged (held here, absent from
// the database) at the moment of the fault. Everything else is forwarded untouched; every ingest
// answer is recorded. A held batch whose sender died (job SIGKILL) is dropped at release, as the
// network would lose it: only the agent's spool can then deliver those events.
// The agent's ingest stream (a WebSocket, INGEST_STREAM_PATH) is relayed frame by frame the same
// way: a held frame's sender is connected while its socket to the gate is open, and a socket the
// gateway closes (or a gateway that dies) closes the agent's side too, as a proxy would.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { INGEST_STREAM_PATH } from '@parley/protocol';

const INGEST = /^\/internal\/conversations\/([^/]+)\/events$/;

export interface GatedBatch {
  conversationId: string;
  /** Utterance seqs in the batch. */
  seqs: number[];
  /** Event types in the batch, in order. */
  types: string[];
  at: number;
  /** The agent's request is still open (its process alive, its timeout not reached). */
  readonly senderConnected: boolean;
}

export interface IngestAnswer {
  conversationId: string;
  seqs: number[];
  /** HTTP status the gateway answered, or 502 when it could not be reached. */
  status: number;
  at: number;
}

interface Held extends GatedBatch {
  /** Sends the batch on to the gateway (answering the agent as the gateway does). */
  forward(): Promise<void>;
}

/** What a batch body (POST) or stream frame carries, for holding and recording. */
function readBatch(raw: string): { seqs: number[]; types: string[]; conversationId?: string; id?: number } {
  try {
    const b = JSON.parse(raw) as { events: any[]; conversationId?: string; id?: number };
    return {
      types: b.events.map((e) => String(e.type)),
      seqs: b.events.flatMap((e) => (e.type === 'utterance' ? [e.utterance.seq as number] : [])),
      conversationId: b.conversationId,
      id: b.id,
    };
  } catch {
    return { seqs: [], types: [] }; // not a batch: the gateway answers 400
  }
}

export class IngestGate {
  readonly #server: http.Server;
  #held: Held[] = [];
  #holding: ((conversationId: string) => boolean) | null = null;
  /** Every answer the agent got to an ingest request through the gate, in order. */
  readonly answers: IngestAnswer[] = [];
  /** Held batches dropped at release because their sender was gone. */
  readonly dropped: GatedBatch[] = [];
  port = 0;

  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  constructor(readonly target: string) {
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
    this.#server.on('upgrade', (req, socket, head) => this.#relayStream(req, socket, head));
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /**
   * From now on, hold each batch that carries an utterance (for the conversations `which` accepts)
   * until release(). Batches of interims and agent states pass: the agent sends one batch at a
   * time, so holding one of those would keep the utterance in the agent rather than on the wire.
   */
  hold(which: (conversationId: string) => boolean = () => true): void {
    this.#holding = which;
  }

  /** Batches held now (retries of the same events included), oldest first. */
  held(conversationId?: string): GatedBatch[] {
    return this.#held.filter((h) => !conversationId || h.conversationId === conversationId);
  }

  /** Resolves with the first held batch of `conversationId` that carries an utterance. */
  async waitForHeld(conversationId: string, timeoutMs = 20_000): Promise<GatedBatch> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const h = this.#held.find((x) => x.conversationId === conversationId && x.seqs.length && x.senderConnected);
      if (h) return h;
      if (Date.now() > deadline) throw new Error(`no utterance batch of ${conversationId} held within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops holding and forwards what is held, in order (dropping batches whose sender is gone). */
  async release(): Promise<void> {
    this.#holding = null;
    const held = this.#held.splice(0);
    for (const h of held) {
      if (!h.senderConnected) {
        this.dropped.push({ ...h, senderConnected: false });
        continue;
      }
      await h.forward();
    }
  }

  /** Drops every relayed ingest stream at once, both sides, as a proxy restart would. */
  cutStreams(): void {
    for (const ws of this.#wss.clients) ws.terminate();
  }

  async close(): Promise<void> {
    await this.release().catch(() => undefined);
    for (const ws of this.#wss.clients) ws.terminate();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const m = INGEST.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (!m || req.method !== 'POST') return this.#forward(req, res, body, null);
    const { types, seqs } = readBatch(body.toString('utf8'));
    const batch = { conversationId: decodeURIComponent(m[1]!), seqs, types, at: Date.now() };
    if (seqs.length && this.#holding?.(batch.conversationId)) {
      let open = true;
      res.on('close', () => (open = false));
      this.#held.push({
        ...batch,
        forward: () => this.#forward(req, res, body, batch),
        get senderConnected() {
          return open && !res.writableEnded;
        },
      });
      return;
    }
    return this.#forward(req, res, body, batch);
  }

  #forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    batch: Pick<GatedBatch, 'conversationId' | 'seqs'> | null,
  ): Promise<void> {
    return new Promise((resolve) => {
      const answer = (status: number) => {
        if (batch)
          this.answers.push({ conversationId: batch.conversationId, seqs: batch.seqs, status, at: Date.now() });
        resolve();
      };
      const up = http.request(
        `${this.target}${req.url}`,
        { method: req.method, headers: { ...req.headers, host: new URL(this.target).host } },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
          upRes.on('end', () => answer(upRes.statusCode ?? 502));
          upRes.on('error', () => answer(502));
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"bad_gateway","message":"gateway unreachable"}}');
        answer(502);
      });
      up.end(body);
    });
  }

  /** Relays the agent's ingest stream to the gateway frame by frame, holding batches like POSTs. */
  #relayStream(req: http.IncomingMessage, socket: Duplex, head: Buffer) {
    if ((req.url ?? '').split('?')[0] !== INGEST_STREAM_PATH) return socket.destroy();
    const url = new URL(req.url!, this.target);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (k.startsWith('x-parley-') && typeof v === 'string') headers[k] = v;
    const up = new WebSocket(url, { headers, perMessageDeflate: false });
    up.once('unexpected-response', (_r, res) => {
      socket.end(`HTTP/1.1 ${res.statusCode} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      up.terminate();
    });
    up.once('error', () => socket.destroy());
    up.once('open', () =>
      this.#wss.handleUpgrade(req, socket, head, (down) => {
        // Frame id → the batch it carried (to record the gateway's answer) and who waits for it.
        const sent = new Map<number, Pick<GatedBatch, 'conversationId' | 'seqs'> & { answered?: () => void }>();
        const send = (raw: string, batch: Pick<GatedBatch, 'conversationId' | 'seqs'>, id?: number) => {
          if (up.readyState !== WebSocket.OPEN) return;
          if (id !== undefined) sent.set(id, batch);
          up.send(raw);
        };
        /** Sends a held frame and resolves once it is answered (or the stream closes), as a POST's release does. */
        const sendAndWait = (raw: string, batch: Pick<GatedBatch, 'conversationId' | 'seqs'>, id?: number) =>
          new Promise<void>((resolve) => {
            if (id === undefined || up.readyState !== WebSocket.OPEN) return resolve();
            const timer = setTimeout(resolve, 10_000);
            const done = () => (clearTimeout(timer), resolve());
            up.once('close', done);
            send(raw, batch, id);
            sent.get(id)!.answered = done;
          });
        up.on('message', (data) => {
          const raw = data.toString();
          try {
            const a = JSON.parse(raw) as { id: number; status: number };
            const batch = sent.get(a.id);
            if (batch) {
              sent.delete(a.id);
              this.answers.push({
                conversationId: batch.conversationId,
                seqs: batch.seqs,
                status: a.status,
                at: Date.now(),
              });
              batch.answered?.();
            }
          } catch {
            /* not an answer */
          }
          if (down.readyState === WebSocket.OPEN) down.send(raw);
        });
        up.on('close', () => down.terminate());
        down.on('close', () => up.terminate());
        down.on('message', (data) => {
          const raw = data.toString();
          const { types, seqs, conversationId = '', id } = readBatch(raw);
          const batch = { conversationId, seqs, types, at: Date.now() };
          if (seqs.length && this.#holding?.(conversationId)) {
            this.#held.push({
              ...batch,
              forward: () => sendAndWait(raw, batch, id),
              get senderConnected() {
                return down.readyState === WebSocket.OPEN;
              },
            });
            return;
          }
          send(raw, batch, id);
        });
      }),
    );
  }
}

export async function startIngestGate(target: string): Promise<IngestGate> {
  return new IngestGate(target).listen();
}
