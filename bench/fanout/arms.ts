import http from 'node:http';
import WebSocket from 'ws';
import { signRequest } from '@parley/protocol/signature';
import { IngestStream } from '@parley/agent/ingest-stream';
import { TEST_INGEST_SECRET, TestClient } from '@parley/testkit';

export interface Conversation {
  id: string;
  cookie: string;
  tick: number;
  seq: number;
}

type OnMessage = (side: 'A' | 'B', raw: string) => void;

export interface Arm {
  name: 'parley' | 'baseline';
  convs: Conversation[];
  ingest(c: Conversation, body: string): Promise<number>;
  subscribeAll(convs: Conversation[], onMessage: OnMessage): Promise<void>;
  closeAll(): Promise<void>;
}

/** POSTs a JSON body over a keep-alive connection pool; resolves with the status code. */
function poster(baseUrl: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const u = new URL(baseUrl);
  return (path: string, body: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

async function pool<T>(items: T[], concurrency: number, fn: (t: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** Opens a socket and resolves once the first (snapshot) message arrived: from then on it is live. */
function openSocket(
  url: string,
  headers: Record<string, string>,
  side: 'A' | 'B',
  onMessage: OnMessage,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    let first = true;
    ws.on('message', (data) => {
      if (first) {
        first = false;
        return resolve(ws);
      }
      onMessage(side, data.toString());
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function socketsArm(
  name: Arm['name'],
  urlFor: (side: 'A' | 'B', c: Conversation) => { url: string; headers: Record<string, string> },
  ingest: Arm['ingest'],
  onClose?: () => void,
): Arm {
  const sockets: WebSocket[] = [];
  return {
    name,
    convs: [],
    ingest,
    async subscribeAll(convs, onMessage) {
      const pairs = convs.flatMap((c) => (['A', 'B'] as const).map((side) => ({ c, side })));
      await pool(pairs, 16, async ({ c, side }) => {
        const { url, headers } = urlFor(side, c);
        sockets.push(await openSocket(url, headers, side, onMessage));
      });
    },
    async closeAll() {
      for (const s of sockets) s.terminate();
      onClose?.();
    },
  };
}

/**
 * Parley: the agent's ingest through gateway A, as a job sends it — over its ingest stream (one
 * WebSocket per conversation, agent/src/reporting/ingest-stream.ts) or, with `--ingest=post`, one
 * signed POST per batch (the path before the stream, and the fallback); subscribers with the
 * guest's cookie on A and B.
 */
export function parleyArm(urlA: string, urlB: string, ingest: 'stream' | 'post' = 'stream'): Arm {
  const post = poster(urlA);
  const ws = (u: string) => u.replace(/^http/, 'ws');
  const streams = new Map<string, IngestStream>();
  const viaStream = (c: Conversation, body: string) => {
    let s = streams.get(c.id);
    if (!s) streams.set(c.id, (s = new IngestStream({ url: urlA, secret: TEST_INGEST_SECRET }, 5000)));
    return s.post(`/internal/conversations/${c.id}/events`, JSON.parse(body)).then(
      () => 200,
      (err: { status?: number }) => err.status ?? 0,
    );
  };
  return socketsArm(
    'parley',
    (side, c) => {
      const base = side === 'A' ? urlA : urlB;
      return { url: `${ws(base)}/ws/transcripts?conversationId=${c.id}`, headers: { cookie: c.cookie, origin: base } };
    },
    ingest === 'stream'
      ? viaStream
      : (c, body) =>
          post(`/internal/conversations/${c.id}/events`, body, {
            'x-parley-signature': signRequest(TEST_INGEST_SECRET, `/internal/conversations/${c.id}/events`, body),
          }),
    () => {
      for (const s of streams.values()) s.close();
    },
  );
}

/** The bare relay: publish through relay A; subscribers on relay A and B. */
export function relayArm(urlA: string, urlB: string): Arm {
  const post = poster(urlA);
  return socketsArm(
    'baseline',
    (side, c) => ({ url: `${(side === 'A' ? urlA : urlB).replace(/^http/, 'ws')}/ws?channel=${c.id}`, headers: {} }),
    (c, body) => post(`/publish/${c.id}`, body),
  );
}

/**
 * Guest calls through the real API: each from its own (forwarded) client address, as distinct
 * browsers would be, so the per-IP call limit applies per guest. Returns each call's id and cookie.
 */
export async function createGuestCalls(gatewayUrl: string, n: number): Promise<Conversation[]> {
  const out: Conversation[] = new Array(n);
  await pool([...Array(n).keys()], 8, async (i) => {
    const client = new TestClient(gatewayUrl);
    const r = await client.post('/api/calls', {}, { headers: { 'x-forwarded-for': `10.77.${i >> 8}.${i & 255}` } });
    if (r.status !== 201) throw new Error(`POST /api/calls → ${r.status} ${r.text}`);
    out[i] = { id: r.body.conversationId, cookie: client.cookieHeader(), tick: 0, seq: 0 };
  });
  return out;
}

/**
 * Calls of signed-in users (stored in Postgres, the path account holders take): one account per
 * 20 calls (the per-account call limit), each account from its own forwarded address.
 */
export async function createUserCalls(gatewayUrl: string, n: number): Promise<Conversation[]> {
  const accounts = Math.ceil(n / 20);
  const out: Conversation[] = [];
  await pool([...Array(accounts).keys()], 4, async (u) => {
    const client = new TestClient(gatewayUrl);
    const headers = { 'x-forwarded-for': `10.79.${u >> 8}.${u & 255}` };
    const reg = await client.post(
      '/api/auth/register',
      {
        email: `fanout-${u}-${Date.now()}@example.com`,
        password: 'a long benchmark password 42 x',
        displayName: 'Bench',
      },
      { headers },
    );
    if (reg.status !== 201) throw new Error(`register → ${reg.status} ${reg.text}`);
    for (let i = 0; i < 20 && u * 20 + i < n; i++) {
      const r = await client.post('/api/calls', {}, { headers });
      if (r.status !== 201) throw new Error(`POST /api/calls → ${r.status} ${r.text}`);
      out.push({ id: r.body.conversationId, cookie: client.cookieHeader(), tick: 0, seq: 0 });
    }
  });
  return out;
}
