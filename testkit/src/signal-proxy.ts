import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignalResponse } from '@livekit/protocol';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { forwardHttp } from './http-fault-proxy';

/**
 * What LiveKit sends a client to set up media: the subscriber's SDP offer and the answers to the
 * client's own offers (dual peer connections, rtc-node), and the request for receive sections
 * (one peer connection, livekit-client's /rtc/v1).
 */
const NEGOTIATION = new Set(['offer', 'answer', 'mediaSectionsRequirement']);

export interface SignalProxy {
  /** ws:// address to give clients instead of the LiveKit server's. */
  url: string;
  /** Signalling connections opened through the proxy so far. */
  connections: number;
  /** Negotiation messages withheld from broken connections, by kind. */
  dropped: Record<string, number>;
  /**
   * From now on, the connections open now get no negotiation message from LiveKit (everything else
   * passes: joins, participant updates, pings), the way a session half set up after a failed
   * reconnection never gets its media. Later connections are not affected. Returns how many broke.
   */
  breakNegotiation(): number;
  close(): Promise<void>;
}

/**
 * A LiveKit signalling proxy (WebSocket and the plain HTTP beside it, to `target`, set once the
 * server's port is known): passes everything through until told to break the connections open then.
 */
export async function startSignalProxy(): Promise<SignalProxy & { target: string | null }> {
  const open = new Set<{ client: WebSocket; upstream: WebSocket; broken: boolean }>();
  const wss = new WebSocketServer({ noServer: true });

  const server = http.createServer((req, res) => {
    if (!proxy.target) return void res.writeHead(503).end();
    forwardHttp(req, res, proxy.target.replace(/^ws/, 'http'));
  });

  server.on('upgrade', (req, socket, head) => {
    if (!proxy.target) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (client) => {
      proxy.connections++;
      // The token may come in the Authorization header (rtc-node) or the query (livekit-client).
      const auth = req.headers.authorization;
      const upstream = new WebSocket(new URL(req.url ?? '/', proxy.target!), {
        headers: auth ? { authorization: auth } : {},
      });
      const conn = { client, upstream, broken: false };
      open.add(conn);
      const pending: Array<{ data: RawData; binary: boolean }> = [];
      upstream.on('open', () => {
        for (const m of pending.splice(0)) upstream.send(m.data, { binary: m.binary });
      });
      client.on('message', (data, binary) => {
        if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
        else pending.push({ data, binary });
      });
      upstream.on('message', (data, binary) => {
        if (conn.broken && binary) {
          let kind = 'undecoded';
          try {
            kind = SignalResponse.fromBinary(new Uint8Array(data as Buffer)).message.case ?? 'none';
          } catch {
            // not a SignalResponse: passed on as it is
          }
          if (NEGOTIATION.has(kind)) {
            proxy.dropped[kind] = (proxy.dropped[kind] ?? 0) + 1;
            return;
          }
        }
        if (client.readyState === WebSocket.OPEN) client.send(data, { binary });
      });
      // A close code that may not be sent on the wire (1005, 1006) ends the other side plainly.
      const end = (ws: WebSocket, code: number) => {
        open.delete(conn);
        if (ws.readyState !== WebSocket.OPEN) return ws.terminate();
        if (code === 1000 || (code >= 3000 && code < 5000)) ws.close(code);
        else ws.close();
      };
      client.on('close', (code) => end(upstream, code));
      upstream.on('close', (code) => end(client, code));
      client.on('error', () => upstream.terminate());
      upstream.on('error', () => client.terminate());
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: SignalProxy & { target: string | null } = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    target: null,
    connections: 0,
    dropped: {},
    breakNegotiation() {
      for (const c of open) c.broken = true;
      return open.size;
    },
    async close() {
      for (const c of open) {
        c.client.terminate();
        c.upstream.terminate();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
