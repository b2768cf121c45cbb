import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

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
