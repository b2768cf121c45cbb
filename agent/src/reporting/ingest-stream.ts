import WebSocket from 'ws';
import { api, INGEST_STREAM_PATH, IngestStreamAnswer, pathOf } from '@parley/protocol';
import { SIGNATURE_HEADER, signRequest } from '@parley/protocol/signature';
import type { Post } from './delivery';
import { GatewayHttpError, postSigned } from './gateway-client';

const INGEST_PATH = new RegExp(
  `^${pathOf(api.internal.ingest.path, { id: '__ID__' })
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace('__ID__', '([^/]+)')}$`,
);

/** Thrown for a batch whose connection closed, or that got no answer in time: the queue retries it. */
export class IngestStreamError extends Error {
  override name = 'IngestStreamError';
}

interface Waiting {
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The job's transcript batches over one WebSocket to the gateway (INGEST_STREAM_PATH) instead of a
 * signed POST each: no HTTP request, routing and logging per batch on the gateway, which is what
 * fan-out spends most of its CPU on (docs/performance.md). A drop-in `Post` for the DeliveryQueue,
 * which keeps every guarantee (one batch in flight, retry with backoff, spool): a batch counts as
 * delivered only when its answer arrives with status 200; a close, or no answer within timeoutMs
 * (the socket is then dropped and re-opened), makes it retry, and the gateway dedupes the resend.
 * A gateway without the stream (404 on upgrade, an older version) is reached by POST from then on.
 * Anything that is not a batch goes by POST as before.
 */
export class IngestStream {
  #ws: WebSocket | null = null;
  #opening: Promise<WebSocket> | null = null;
  #nextId = 0;
  #waiting = new Map<number, Waiting>();
  #closed = false;
  #postOnly = false;

  constructor(
    private readonly gateway: { url: string; secret: string },
    private readonly timeoutMs = 3000,
  ) {}

  /** Which door batches take now (tests, logs). */
  get transport(): 'stream' | 'post' {
    return this.#postOnly ? 'post' : 'stream';
  }

  readonly post: Post = async (path, payload) => {
    const m = INGEST_PATH.exec(path);
    if (!m || this.#postOnly) return postSigned(this.gateway, path, payload, this.timeoutMs);
    let ws: WebSocket;
    try {
      ws = await this.#open();
    } catch (err) {
      if (this.#postOnly) return postSigned(this.gateway, path, payload, this.timeoutMs);
      throw err;
    }
    const id = this.#nextId++;
    const frame = JSON.stringify({ id, conversationId: decodeURIComponent(m[1]!), ...(payload as object) });
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Unanswered: the connection is suspect (a hung gateway, a dead peer). Drop it; the queue resends.
        this.#waiting.delete(id);
        reject(new IngestStreamError(`no answer to batch ${id} within ${this.timeoutMs} ms`));
        ws.terminate();
      }, this.timeoutMs);
      this.#waiting.set(id, { resolve, reject, timer });
      ws.send(frame, (err) => {
        if (err) this.#settle(id, new IngestStreamError(`batch ${id} not sent: ${err.message}`));
      });
    });
  };

  close(): void {
    this.#closed = true;
    this.#ws?.close(1000, 'job ended');
    this.#failAll('the job closed its ingest stream');
  }

  #settle(id: number, result: Error | { body: unknown }) {
    const w = this.#waiting.get(id);
    if (!w) return; // answered after its timeout: the resend carries the same events
    this.#waiting.delete(id);
    clearTimeout(w.timer);
    if (result instanceof Error) w.reject(result);
    else w.resolve(result.body);
  }

  #failAll(why: string) {
    for (const id of [...this.#waiting.keys()]) this.#settle(id, new IngestStreamError(why));
  }

  #open(): Promise<WebSocket> {
    if (this.#closed) return Promise.reject(new IngestStreamError('ingest stream closed'));
    if (this.#ws?.readyState === WebSocket.OPEN) return Promise.resolve(this.#ws);
    this.#opening ??= new Promise<WebSocket>((resolve, reject) => {
      const url = new URL(INGEST_STREAM_PATH, this.gateway.url);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      const ws = new WebSocket(url, {
        headers: { [SIGNATURE_HEADER]: signRequest(this.gateway.secret, INGEST_STREAM_PATH, '') },
        perMessageDeflate: false,
        handshakeTimeout: this.timeoutMs,
      });
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        if (res.statusCode === 404) this.#postOnly = true;
        reject(new GatewayHttpError(res.statusCode ?? 502, `ingest stream refused: ${res.statusCode}`));
        ws.terminate();
      });
      ws.once('open', () => {
        this.#ws = ws;
        resolve(ws);
      });
      ws.on('error', (err) => reject(new IngestStreamError(`ingest stream: ${err.message}`)));
      ws.on('message', (data) => {
        let raw: unknown;
        try {
          raw = JSON.parse(data.toString());
        } catch {
          return;
        }
        const a = IngestStreamAnswer.safeParse(raw);
        if (!a.success) return;
        const { id, status, body } = a.data;
        this.#settle(
          id,
          status === 200 ? { body } : new GatewayHttpError(status, `gateway answered ${status} for batch ${id}`),
        );
      });
      ws.on('close', () => {
        if (this.#ws === ws) this.#ws = null;
        this.#failAll('ingest stream closed');
      });
    }).finally(() => (this.#opening = null));
    return this.#opening;
  }
}
