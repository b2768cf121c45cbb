import type { Server } from 'node:http';
import type { AppContext } from './context';

/**
 * WebSocket upgrades by path. Each WebSocket feature registers a handler here; unknown paths
 * are refused with 404 before any handshake.
 */
export function attachUpgradeHandlers(server: Server, _ctx: AppContext): () => Promise<void> {
  const closers: Array<() => Promise<void>> = [];
  server.on('upgrade', (req, socket) => {
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    void req;
  });
  return async () => {
    for (const c of closers) await c();
  };
}
