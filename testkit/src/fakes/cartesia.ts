// A local Cartesia TTS server for tests and benchmarks. `POST /tts/bytes` answers one finished WAV
// (the gateway's voice previews, through @cartesia/cartesia-js). The WebSocket (`/tts/websocket`) speaks what
// @livekit/agents-plugin-cartesia 1.8.1 sends and validates (its zod schemas in src/types.ts).
// One socket carries many contexts (the plugin pools it across turns). Per context the client
// sends one request per sentence (`continue: true`) and closes it with `transcript: " ",
// continue: false`; the server answers every sentence with `chunk` messages (base64 PCM), then a
// `timestamps` message, and once the context is closed and drained, one `done`.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { flatHeaders, listenLocal, readBody, sendJson, sleep } from './listen';
import { pcm16Bytes, voiceSignal } from './voice-signal';

export interface FakeCartesiaOptions {
  /** Delay from a context's first request to its first audio chunk (default 0). */
  ttfbMs?: number;
  /** Milliseconds of audio per character of transcript (default 55). */
  msPerChar?: number;
  /** Audio per `chunk` message in milliseconds (default 100). */
  chunkMs?: number;
  /** How much faster than real time audio is produced (default 4; Infinity = all at once). */
  realtimeFactor?: number;
}

export interface FakeCartesiaRequest {
  voiceId: string;
  language: string;
  modelId: string;
  transcript: string;
  contextId: string;
}

export interface FakeCartesia {
  /** Base URL for `new cartesia.TTS({ baseUrl })`, e.g. `http://127.0.0.1:PORT`. */
  baseUrl: string;
  /** Every non-blank transcript request, in arrival order. */
  requests: FakeCartesiaRequest[];
  /** PCM bytes sent in `chunk` messages. */
  audioBytesSent: number;
  /** Lower-cased headers of each WebSocket handshake. */
  connections: Array<Record<string, string>>;
  /** Contexts cancelled by the client (`{ context_id, cancel: true }`). */
  cancelledContexts: string[];
  /** Each `POST /tts/bytes` request (whole-file synthesis), in arrival order. */
  bytesRequests: Array<{ voiceId: string; language: string; modelId: string; transcript: string; container: string }>;
  close(): Promise<void>;
}

interface Context {
  id: string;
  queue: string[];
  closed: boolean;
  cancelled: boolean;
  running: boolean;
  started: boolean;
  /** Audio seconds already produced for this context (timestamps are relative to its start). */
  offsetSec: number;
  sampleRate: number;
  wantTimestamps: boolean;
}

export async function startFakeCartesia(opts: FakeCartesiaOptions = {}): Promise<FakeCartesia> {
  const msPerChar = opts.msPerChar ?? 55;
  const chunkMs = opts.chunkMs ?? 100;
  const factor = opts.realtimeFactor ?? 4;
  const state: FakeCartesia = {
    baseUrl: '',
    requests: [],
    audioBytesSent: 0,
    connections: [],
    cancelledContexts: [],
    bytesRequests: [],
    close: async () => {},
  };

  const http = await listenLocal(async (req, res) => {
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/tts/bytes')
      return sendJson(res, 404, { error: 'not found' });
    if (!req.headers['x-api-key']) return sendJson(res, 401, { error: 'unauthorized' });
    let msg: any;
    try {
      msg = JSON.parse((await readBody(req)).toString('utf8'));
    } catch {
      return sendJson(res, 400, { error: 'invalid JSON' });
    }
    const format = msg?.output_format ?? {};
    if (typeof msg?.transcript !== 'string' || !msg.transcript.trim() || typeof msg?.model_id !== 'string')
      return sendJson(res, 400, { error: 'transcript and model_id are required' });
    if (format.container !== 'wav' || format.encoding !== 'pcm_s16le')
      return sendJson(res, 400, { error: 'this fake answers wav / pcm_s16le only' });
    state.bytesRequests.push({
      voiceId: String(msg.voice?.id ?? ''),
      language: String(msg.language ?? ''),
      modelId: msg.model_id,
      transcript: msg.transcript,
      container: format.container,
    });
    await sleep(opts.ttfbMs ?? 0);
    const rate = Number(format.sample_rate) || 24000;
    const words = msg.transcript.trim().split(/\s+/).length;
    const pcm = pcm16Bytes(voiceSignal({ sampleRate: rate, durationMs: msg.transcript.length * msPerChar, words }));
    res.writeHead(200, { 'content-type': 'audio/wav' }).end(Buffer.concat([wavHeader(pcm.length, rate), pcm]));
  });
  const wss = new WebSocketServer({ noServer: true });
  http.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/tts/websocket') return rejectUpgrade(socket, 404, 'Not Found');
    const key = req.headers['x-api-key'] ?? url.searchParams.get('api_key');
    if (!key) return rejectUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      state.connections.push(flatHeaders(req));
      serve(ws);
    });
  });

  function serve(ws: WebSocket): void {
    const contexts = new Map<string, Context>();
    let open = true;
    const send = (msg: object) => {
      if (open && ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };

    const run = async (ctx: Context) => {
      if (ctx.running) return;
      ctx.running = true;
      if (!ctx.started) {
        ctx.started = true;
        await sleep(opts.ttfbMs ?? 0);
      }
      while (open && !ctx.cancelled && ctx.queue.length) {
        const text = ctx.queue.shift()!.trim();
        const words = text.split(/\s+/).filter(Boolean);
        const durationMs = text.length * msPerChar;
        const pcm = voiceSignal({ sampleRate: ctx.sampleRate, durationMs, words: words.length });
        const step = Math.max(1, Math.round((chunkMs / 1000) * ctx.sampleRate));
        for (let i = 0; i < pcm.length && open && !ctx.cancelled; i += step) {
          if (i > 0 && Number.isFinite(factor)) await sleep(chunkMs / factor);
          if (!open || ctx.cancelled) break;
          const bytes = pcm16Bytes(pcm.subarray(i, i + step));
          state.audioBytesSent += bytes.byteLength;
          send({
            type: 'chunk',
            data: bytes.toString('base64'),
            done: false,
            status_code: 206,
            step_time: round(chunkMs / Math.max(1, Number.isFinite(factor) ? factor : 20)),
            context_id: ctx.id,
          });
        }
        if (!open || ctx.cancelled) break;
        if (ctx.wantTimestamps && words.length) {
          const total = durationMs / 1000;
          const chars = words.reduce((n, w) => n + w.length, 0);
          let at = ctx.offsetSec;
          const start: number[] = [];
          const end: number[] = [];
          for (const w of words) {
            start.push(round(at));
            at += (w.length / chars) * total;
            end.push(round(at));
          }
          send({
            type: 'timestamps',
            done: false,
            status_code: 206,
            context_id: ctx.id,
            word_timestamps: { words, start, end },
          });
        }
        ctx.offsetSec += durationMs / 1000;
      }
      ctx.running = false;
      if (open && !ctx.cancelled && ctx.closed && !ctx.queue.length) {
        contexts.delete(ctx.id);
        send({ type: 'done', done: true, status_code: 200, context_id: ctx.id });
      }
    };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      let msg: any;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return send({ type: 'error', done: true, error: 'invalid JSON', status_code: 400, context_id: '' });
      }
      const contextId = typeof msg?.context_id === 'string' ? msg.context_id : '';
      if (msg?.cancel === true) {
        const ctx = contexts.get(contextId);
        if (ctx) ctx.cancelled = true;
        contexts.delete(contextId);
        state.cancelledContexts.push(contextId);
        return;
      }
      if (typeof msg?.transcript !== 'string' || typeof msg?.model_id !== 'string') {
        return send({
          type: 'error',
          done: true,
          error: 'transcript and model_id are required',
          status_code: 400,
          context_id: contextId,
        });
      }
      let ctx = contexts.get(contextId);
      if (!ctx) {
        const rate = Number(msg.output_format?.sample_rate) || 24000;
        ctx = {
          id: contextId,
          queue: [],
          closed: false,
          cancelled: false,
          running: false,
          started: false,
          offsetSec: 0,
          sampleRate: rate,
          wantTimestamps: msg.add_timestamps === true,
        };
        contexts.set(contextId, ctx);
      }
      if (msg.transcript.trim()) {
        state.requests.push({
          voiceId: String(msg.voice?.id ?? ''),
          language: String(msg.language ?? ''),
          modelId: msg.model_id,
          transcript: msg.transcript,
          contextId,
        });
        ctx.queue.push(msg.transcript);
      }
      if (msg.continue === false || msg.continue === undefined) ctx.closed = true;
      void run(ctx);
    });
    ws.on('close', () => {
      open = false;
    });
    ws.on('error', () => {});
  }

  state.baseUrl = `http://127.0.0.1:${http.port}`;
  state.close = async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    await http.close();
  };
  return state;
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The 44-byte header of a 16-bit mono PCM WAV file. */
function wavHeader(dataBytes: number, sampleRate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(dataBytes, 40);
  return h;
}
