import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request, RequestHandler } from 'express';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { z } from 'zod';
import {
  ClientMessage,
  MAX_CLIENT_FRAME_BYTES,
  serverMessage,
  TRANSCRIPT_WS_PATH,
  type ServerMessage,
} from '@parley/protocol';
import { loadUser } from '../auth/current-user';
import { CallDirectory, type CallRef } from '../calls/directory';
import { ownsCall } from '../calls/ownership';
import type { AppContext } from '../context';
import { isSameOrigin } from '../security/origin';
import { heartbeat, refuseUpgrade, type UpgradeRoute } from '../http/upgrade';
import { readBusMessage, transcriptChannel, type BusMessage } from './channel';

/** Server → client pings; a client that misses one full interval is dropped. */
export const KEEPALIVE_MS = 30_000;
/** Client frames allowed per 10 s before the socket is closed with 1008 (a chatty or broken client). */
const CLIENT_FRAMES_PER_10S = 100;

const Query = z.object({ conversationId: z.string().uuid() });

function run(mw: RequestHandler, req: Request, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    void Promise.resolve(mw(req, res as never, (err?: unknown) => (err ? reject(err) : resolve()))).catch(reject);
  });
}

/**
 * GET /ws/transcripts?conversationId=… — live transcript of one call.
 *
 * Before the handshake: the Origin must be Parley's own (403), the session cookie must hold a
 * user or a guest session (401), and the conversation must be the caller's own (404 for anyone
 * else, so ids cannot be probed). After it: subscribe to the conversation's bus channel first
 * (buffering), send one `snapshot`, then flush the buffer skipping utterances the snapshot already
 * held — no gap, no duplicate — and relay live. Client frames: `ping` → `pong`; anything else →
 * `error` (the socket stays open); frames over MAX_CLIENT_FRAME_BYTES close it with 1009.
 */
export function transcriptsUpgrade(ctx: AppContext): UpgradeRoute {
  const directory = new CallDirectory(ctx.repos, ctx.kv, ctx.metrics.calls);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES, skipUTF8Validation: true });
  const log = ctx.logger.child({ feature: 'transcripts' });
  ctx.metrics.sources.wsSubscribers = () => wss.clients.size;
  // The bus hands one message to every local subscriber of its channel in turn, the same string each
  // time: read it (and encode its frame) once per channel, not once per socket.
  let lastRaw: string | undefined;
  let last: BusMessage | undefined;
  const headOf = (raw: string): BusMessage => {
    if (raw !== lastRaw || !last) {
      last = readBusMessage(raw);
      lastRaw = raw;
    }
    return last;
  };

  const keepalive = heartbeat(wss, KEEPALIVE_MS);

  async function authorize(req: IncomingMessage): Promise<{ status: number; call?: CallRef }> {
    if (!isSameOrigin(req, ctx.config)) return { status: 403 };
    const query = Query.safeParse(Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams));
    const r = req as Request;
    const res = new ServerResponse(req);
    await run(ctx.sessionMiddleware, r, res);
    await run(loadUser(ctx) as RequestHandler, r, res);
    if (!r.user && !r.session?.guestConversationIds?.length) return { status: 401 };
    if (!query.success) return { status: 400 };
    const call = await directory.find(query.data.conversationId);
    if (!call || !ownsCall(r, call)) return { status: 404 };
    return { status: 101, call };
  }

  async function serve(ws: WebSocket, call: CallRef) {
    const id = call.id;
    const send = (m: ServerMessage | Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      if (Buffer.isBuffer(m)) ws.send(m, { binary: false });
      else ws.send(JSON.stringify(m));
    };
    const sendError = (code: string, message: string) => send(serverMessage('error', id, { code, message }));
    keepalive.track(ws);
    ws.on('error', () => undefined); // e.g. oversize frame: ws closes with 1009 itself

    let frames = 0;
    const frameWindow = setInterval(() => (frames = 0), 10_000);
    frameWindow.unref();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (++frames > CLIENT_FRAMES_PER_10S) return ws.close(1008, 'too many messages');
      if (isBinary) return sendError('unsupported_frame', 'Send JSON text frames.');
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString());
      } catch {
        return sendError('invalid_json', 'The message is not valid JSON.');
      }
      const msg = ClientMessage.safeParse(parsed);
      if (!msg.success) return sendError('validation_failed', 'Unknown or malformed message.');
      if (msg.data.type === 'ping') send(serverMessage('pong', id, {}));
    });

    // Subscribe first, then read the snapshot: anything stored after the read is published after it.
    const delivered = new Set<number>();
    let endSent = false;
    let live = false;
    const buffered: string[] = [];
    const deliver = (raw: string) => {
      const head = headOf(raw);
      if (head.type === 'utterance' && head.seq !== undefined) {
        if (delivered.has(head.seq)) return;
        delivered.add(head.seq);
      }
      if (head.type === 'call_ended') {
        if (endSent) return;
        endSent = true;
      }
      if (Number.isFinite(head.createdAtMs))
        ctx.metrics.fanoutDelay.observe(Math.max(0, Date.now() - head.createdAtMs) / 1000);
      send(head.frame());
    };
    let closed = false;
    let unsubscribe: (() => Promise<void>) | null = null;
    // After a bus outage (Redis restart) catch up from the store: anything published while the
    // subscription was down was stored first, so re-reading fills the gap (seqs dedupe as above).
    const catchUp = async () => {
      if (closed || !live) return;
      try {
        const fresh = (await directory.find(id)) ?? call;
        for (const utterance of await directory.transcript(fresh))
          deliver(JSON.stringify(serverMessage('utterance', id, { utterance })));
        if (fresh.status === 'ended' && fresh.endReason)
          deliver(JSON.stringify(serverMessage('call_ended', id, { reason: fresh.endReason })));
      } catch (err) {
        log.warn({ errName: (err as Error).name, conversationId: id }, 'transcript catch-up failed');
      }
    };
    const offReconnect = ctx.bus.onReconnect(() => void catchUp());
    ws.on('close', () => {
      closed = true;
      clearInterval(frameWindow);
      offReconnect();
      void unsubscribe?.().catch(() => undefined);
    });
    try {
      unsubscribe = await ctx.bus.subscribe(transcriptChannel(id), (raw) => (live ? deliver(raw) : buffered.push(raw)));
      if (closed) return void (await unsubscribe());
      const fresh = (await directory.find(id)) ?? call;
      const [utterances, agentState] = await Promise.all([directory.transcript(fresh), directory.agentState(id)]);
      for (const u of utterances) delivered.add(u.seq);
      endSent = fresh.status === 'ended';
      send(serverMessage('snapshot', id, { utterances, agentState, ended: endSent, endReason: fresh.endReason }));
      for (const raw of buffered.splice(0)) deliver(raw);
      live = true;
    } catch (err) {
      const e = err as { code?: unknown; name?: unknown };
      log.warn({ errCode: e.code, errName: e.name, conversationId: id }, 'transcript snapshot failed');
      sendError('service_unavailable', 'The transcript is unavailable right now. Reconnect shortly.');
      ws.close(1011, 'unavailable');
    }
  }

  return {
    path: TRANSCRIPT_WS_PATH,
    handle(req: IncomingMessage, socket: Duplex, head: Buffer) {
      authorize(req).then(
        ({ status, call }) => {
          if (status !== 101 || !call) return refuseUpgrade(socket, status);
          wss.handleUpgrade(req, socket, head, (ws) => void serve(ws, call));
        },
        (err: unknown) => {
          const e = err as { code?: unknown; name?: unknown };
          log.warn({ errCode: e.code, errName: e.name }, 'transcript upgrade failed');
          refuseUpgrade(socket, 503);
        },
      );
    },
    async close() {
      keepalive.stop();
      const clients = [...wss.clients];
      for (const ws of clients) ws.close(1001, 'server shutting down');
      await Promise.race([
        Promise.all(
          clients.map((ws) => new Promise((r) => (ws.readyState === ws.CLOSED ? r(null) : ws.once('close', r)))),
        ),
        new Promise((r) => setTimeout(r, 500).unref()),
      ]);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
