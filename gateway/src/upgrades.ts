import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AppContext } from './context';
import { refuseUpgrade, type UpgradeRoute } from './http/upgrade';
import { transcriptsUpgrade } from './transcripts/socket';
import { ingestStreamUpgrade } from './ingest/stream';

/**
 * WebSocket upgrades by path. Each WebSocket feature registers an UpgradeRoute here; unknown
 * paths are refused with 404 before any handshake.
 */
export function attachUpgradeHandlers(server: Server, ctx: AppContext): () => Promise<void> {
  const routes: UpgradeRoute[] = [transcriptsUpgrade(ctx), ingestStreamUpgrade(ctx)];
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => r.path === path);
    if (!route) return refuseUpgrade(socket, 404);
    route.handle(req, socket, head);
  });
  return async () => {
    for (const r of routes) await r.close();
  };
}
