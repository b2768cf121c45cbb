// An HTTP proxy between the agent and the gateway (the agent's GATEWAY_URL) that can hold transcript
// batches: fault tests use it to PROVE events are in flight when they inject a fault — a batch
// carrying utterance seq N was sent by the agent and is not acknowledged (held here, absent from
// the database) at the moment of the fault. Everything else is forwarded untouched; every ingest
// answer is recorded. A held batch whose sender died (job SIGKILL) is dropped at release, as the
// network would lose it: only the agent's spool can then deliver those events.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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
  body: Buffer;
  req: http.IncomingMessage;
  res: http.ServerResponse;
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

  constructor(readonly target: string) {
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
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
      await this.#forward(h.req, h.res, h.body, h);
    }
  }

  async close(): Promise<void> {
    await this.release().catch(() => undefined);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const m = INGEST.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (!m || req.method !== 'POST') return this.#forward(req, res, body, null);
    let types: string[] = [];
    let seqs: number[] = [];
    try {
      const events = (JSON.parse(body.toString('utf8')) as { events: any[] }).events;
      types = events.map((e) => String(e.type));
      seqs = events.flatMap((e) => (e.type === 'utterance' ? [e.utterance.seq as number] : []));
    } catch {
      /* not JSON: the gateway answers 400 */
    }
    const batch = { conversationId: decodeURIComponent(m[1]!), seqs, types, at: Date.now() };
    if (seqs.length && this.#holding?.(batch.conversationId)) {
      let open = true;
      res.on('close', () => (open = false));
      this.#held.push({
        ...batch,
        body,
        req,
        res,
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
}

export async function startIngestGate(target: string): Promise<IngestGate> {
  return new IngestGate(target).listen();
}
