import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  INGEST_STREAM_PATH,
  IngestStreamFrame,
  MAX_INGEST_FRAME_BYTES,
  type IngestStreamAnswer,
} from '@parley/protocol';
import { SIGNATURE_HEADER, verifyRequest } from '@parley/protocol/signature';
import type { AppContext } from '../context';
import { AppError, errors, isAppError } from '../http/errors';
import { heartbeat, refuseUpgrade, type UpgradeRoute } from '../http/upgrade';
import { ingestHandler } from './service';

/** Gateway → agent pings; an agent that misses one full interval is dropped (it reconnects and resends). */
const KEEPALIVE_MS = 15_000;

const errorBody = (e: AppError) => ({
  error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) },
});

/**
 * GET /internal/ingest-stream (WebSocket) — the agent job's batches over one connection instead of
 * one signed POST each (docs/transcripts.md). The upgrade is refused with 401 unless it carries a
 * valid X-Parley-Signature over the path and an empty body. Each frame is `{ id, conversationId,
 * events }`; each is answered `{ id, status, body }` with exactly what the POST route answers, after
 * the batch is stored and published. Nothing is logged per batch, only failures.
 */
export function ingestStreamUpgrade(ctx: AppContext): UpgradeRoute {
  const ingest = ingestHandler(ctx);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_INGEST_FRAME_BYTES, perMessageDeflate: false });
  const log = ctx.logger.child({ feature: 'ingest-stream' });
  const keepalive = heartbeat(wss, KEEPALIVE_MS);

  function serve(ws: WebSocket) {
    keepalive.track(ws);
    ws.on('error', () => undefined); // an oversize frame: ws closes with 1009 itself
    const queues = new Map<string, Promise<void>>();
    const answer = (a: IngestStreamAnswer) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(a));
    };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return ws.close(1003, 'send JSON text frames');
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString());
      } catch {
        return ws.close(1007, 'frame is not JSON');
      }
      const frame = IngestStreamFrame.safeParse(parsed);
      if (!frame.success) {
        const id = (parsed as { id?: unknown } | null)?.id;
        // Without an id the agent could not match an answer: the stream itself is broken.
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) return ws.close(1008, 'frame without an id');
        return answer({ id, status: 400, body: errorBody(errors.validation(frame.error.issues)) });
      }
      const { id, conversationId, events } = frame.data;
      // One conversation's batches are applied in the order they arrived, as one POST after another.
      const previous = queues.get(conversationId) ?? Promise.resolve();
      const done = previous.then(() =>
        ingest(conversationId, events, log).then(
          (body) => answer({ id, status: 200, body }),
          (err: unknown) => {
            if (!isAppError(err))
              log.error({ errName: (err as Error).name, conversationId }, 'ingest stream: unexpected error');
            const e = isAppError(err) ? err : new AppError(500, 'internal_error', 'Something went wrong on our side.');
            answer({ id, status: e.status, body: errorBody(e) });
          },
        ),
      );
      queues.set(conversationId, done);
      void done.then(() => {
        if (queues.get(conversationId) === done) queues.delete(conversationId);
      });
    });
  }

  return {
    path: INGEST_STREAM_PATH,
    handle(req: IncomingMessage, socket: Duplex, head: Buffer) {
      const signature = req.headers[SIGNATURE_HEADER];
      const check = verifyRequest(
        ctx.config.ingestSecret,
        typeof signature === 'string' ? signature : undefined,
        INGEST_STREAM_PATH,
        '',
      );
      if (check !== 'ok') return refuseUpgrade(socket, 401);
      wss.handleUpgrade(req, socket, head, serve);
    },
    async close() {
      keepalive.stop();
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      await new Promise((r) => setTimeout(r, 100).unref());
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
