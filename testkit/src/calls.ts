import WebSocket from 'ws';
import { signRequest } from '@parley/protocol/signature';
import { TRANSCRIPT_WS_PATH, type IngestEvent, type ServerMessage, type Utterance } from '@parley/protocol';
import { TEST_INGEST_SECRET } from './gateway';
import { TestClient } from './http-client';

/**
 * Helpers for the call-path tests: a simulated agent that signs its ingest requests, utterances,
 * and a transcript WebSocket client that queues what it receives.
 */

export function ingest(
  baseUrl: string,
  conversationId: string,
  events: IngestEvent[] | string,
  secret = TEST_INGEST_SECRET,
) {
  const raw = typeof events === 'string' ? events : JSON.stringify({ events });
  const path = `/internal/conversations/${conversationId}/events`;
  return new TestClient(baseUrl, null).post(path, undefined, {
    raw,
    headers: { 'content-type': 'application/json', 'x-parley-signature': signRequest(secret, path, raw) },
  });
}

export function utterance(seq: number, extra: Partial<Utterance> = {}): Utterance {
  const t = Date.UTC(2025, 0, 1, 12, 0, 0) + seq * 2000;
  return {
    seq,
    role: seq % 2 === 0 ? 'user' : 'agent',
    text: `utterance number ${seq}`,
    language: 'en',
    startedAt: new Date(t).toISOString(),
    endedAt: new Date(t + 1500).toISOString(),
    interrupted: false,
    metrics: null,
    ...extra,
  };
}

export interface TranscriptSocket {
  ws: WebSocket;
  /** Next message (optionally of a type, skipping others), or throws after timeoutMs. */
  next<T extends ServerMessage['type']>(type?: T, timeoutMs?: number): Promise<Extract<ServerMessage, { type: T }>>;
  /** Everything received so far that nobody consumed. */
  queued(): ServerMessage[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens the transcript socket; rejects with the HTTP status when the upgrade is refused. */
export function openTranscript(
  baseUrl: string,
  conversationId: string,
  opts: { cookie?: string; origin?: string | null } = {},
): Promise<TranscriptSocket> {
  const url = `${baseUrl.replace(/^http/, 'ws')}${TRANSCRIPT_WS_PATH}?conversationId=${conversationId}`;
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  const origin = opts.origin === undefined ? baseUrl : opts.origin;
  if (origin) headers.origin = origin;
  const ws = new WebSocket(url, { headers });
  const queue: ServerMessage[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    queue.push(JSON.parse(data.toString()));
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const socket: TranscriptSocket = {
    ws,
    closed,
    queued: () => [...queue],
    async next(type, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = queue.findIndex((m) => !type || m.type === type);
        if (i >= 0) return queue.splice(i, 1)[0] as never;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(
            `no ${type ?? 'message'} within ${timeoutMs} ms; queued: ${queue.map((m) => m.type).join(',')}`,
          );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => (clearTimeout(t), resolve()));
        });
      }
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })),
    );
    ws.once('error', (err) => reject(err));
  });
}

/** A signed JSON POST to one of the gateway's /internal routes, as the agent worker makes it. */
export function signedPost(baseUrl: string, path: string, body: unknown, secret = TEST_INGEST_SECRET) {
  const raw = JSON.stringify(body);
  return new TestClient(baseUrl, null).post(path, undefined, {
    raw,
    headers: { 'content-type': 'application/json', 'x-parley-signature': signRequest(secret, path, raw) },
  });
}
