import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver saw. */
export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The Standard Webhooks signature checked out with the receiver's secret (and a fresh timestamp). */
  valid: boolean;
  at: number;
}

/** One event the receiver processed: the first valid delivery of its webhook-id. */
export interface ProcessedEvent {
  id: string;
  type: string;
  data: any;
}

/**
 * A real HTTP webhook receiver for tests, written the way integrators are told to write one: verify
 * the signature (standardwebhooks), answer 400 when it does not check out, de-duplicate by
 * `webhook-id` (a repeat is answered 200 and not processed again). Modes: `ok` answers at once,
 * `fail` answers 503, `hold` keeps requests open until `release()`; `down()` closes the listening
 * socket (connection refused) and `up()` opens the same port again.
 */
export class WebhookReceiver {
  secret = '';
  mode: 'ok' | 'fail' | 'hold' = 'ok';
  readonly requests: ReceivedWebhook[] = [];
  readonly processed = new Map<string, ProcessedEvent>();
  duplicates = 0;
  private held: Array<() => void> = [];
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  private constructor(
    readonly port: number,
    readonly path: string,
  ) {}

  static async start(options: { path?: string; port?: number } = {}): Promise<WebhookReceiver> {
    const r = new WebhookReceiver(options.port ?? 0, options.path ?? '/hooks/parley');
    const port = await r.listen();
    return Object.assign(r, { port }) as WebhookReceiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}${this.path}`;
  }

  /** Requests that arrived and are still waiting for an answer (mode `hold`). */
  get inFlight(): number {
    return this.held.length;
  }

  /** Answers every held request with 200 (processing it as in mode `ok`). */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  async up(): Promise<void> {
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    this.held = [];
    await this.down();
  }

  private listen(): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      };
      let valid = false;
      try {
        new Webhook(this.secret).verify(body, headers);
        valid = true;
      } catch {
        valid = false;
      }
      this.requests.push({
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        signature: headers['webhook-signature'],
        body,
        valid,
        at: Date.now(),
      });
      const answer = () => {
        if (res.destroyed) return;
        if (!valid) return res.writeHead(400).end('bad signature');
        if (this.processed.has(headers['webhook-id'])) this.duplicates++;
        else {
          const event = JSON.parse(body) as { type: string; data: unknown };
          this.processed.set(headers['webhook-id'], { id: headers['webhook-id'], type: event.type, data: event.data });
        }
        res.writeHead(204).end();
      };
      if (req.method !== 'POST' || req.url !== this.path) return res.writeHead(404).end();
      if (this.mode === 'fail') return res.writeHead(503).end('down for maintenance');
      if (this.mode === 'hold') {
        this.held.push(answer);
        res.once('close', () => (this.held = this.held.filter((h) => h !== answer)));
        return;
      }
      answer();
    });
  }
}
