import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';

/** A WebSocket feature: its path and its upgrade handler (which authenticates before any handshake). */
export interface UpgradeRoute {
  path: string;
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes its sockets on shutdown. */
  close(): Promise<void>;
}

const ERROR_CODES: Record<number, string> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'forbidden_origin',
  404: 'not_found',
  503: 'service_unavailable',
};

/** Answers an upgrade request with a plain HTTP error (the JSON error shape) and no handshake. */
export function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  const reason = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ error: { code: ERROR_CODES[status] ?? 'internal_error', message: `${reason}.` } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Pings every client of `wss` each `intervalMs`; one that has not answered the previous ping is
 * terminated. Call `track(ws)` for each accepted socket; the returned function stops the timer.
 */
export function heartbeat(wss: WebSocketServer, intervalMs: number) {
  const alive = new WeakMap<WebSocket, boolean>();
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, intervalMs);
  timer.unref();
  return {
    track(ws: WebSocket) {
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
    },
    stop: () => clearInterval(timer),
  };
}
