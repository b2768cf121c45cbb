// A local Deepgram live-transcription server (`/v1/listen` WebSocket) for tests and benchmarks.
// It speaks what @livekit/agents-plugin-deepgram 1.8.1 sends and parses: binary PCM16 LE in,
// `SpeechStarted` / `Results` / `UtteranceEnd` / `Metadata` JSON out. Speech is detected by energy
// in the received audio; what was "said" comes from a script, not from recognition.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { flatHeaders, listenLocal, readBody, sendJson } from './listen';
import { pcm16View, rmsLevel } from './voice-signal';

export interface FakeDeepgramOptions {
  /** Transcripts returned in order, one per utterance; when used up, `DEFAULT_TRANSCRIPT`. */
  transcripts?: string[];
  /** Delay between detecting the end of speech and sending the final `Results` (default 0). */
  finalDelayMs?: number;
  /** Audio time of speech between two interim `Results`, each revealing one more word (default 200). */
  interimEveryMs?: number;
  /** Audio time of silence that ends an utterance (default 300). */
  endpointSilenceMs?: number;
  /**
   * Wall time with no audio at all after which an utterance is ended anyway, the client having
   * stopped sending (default 2000). Not the endpointing silence: a loaded machine delivers a
   * caller's audio in bursts, and ending utterances on those gaps split one sentence into many.
   */
  noAudioEndMs?: number;
  /** RMS level (fraction of full scale) above which a chunk counts as speech (default 0.015). */
  speechThreshold?: number;
}

export interface FakeDeepgramSession {
  /** Query parameters of the upgrade request (repeated keys joined by ","). */
  query: Record<string, string>;
  /** Lower-cased request headers. */
  headers: Record<string, string>;
  /** Binary audio bytes received. */
  audioBytes: number;
  /** JSON messages sent to the client. */
  messagesSent: number;
  /** Control messages received (`KeepAlive`, `Finalize`, `CloseStream`), in order. */
  controlMessages: string[];
  /**
   * Each final sent, with what ended its utterance: the endpointing silence (audio time), no audio
   * at all for `noAudioEndMs` (wall time), or the client's `Finalize` / `CloseStream`; and how much
   * voiced audio it held. Says why a sentence came out as two finals.
   */
  finals: Array<{ text: string; endedBy: UtteranceEnd; voicedMs: number; atAudioSec: number }>;
}

export type UtteranceEnd = 'silence' | 'no_audio' | 'finalize' | 'close';

export interface FakeDeepgram {
  /** Base URL for `new deepgram.STT({ baseUrl })`, e.g. `ws://127.0.0.1:PORT`. */
  url: string;
  sessions: FakeDeepgramSession[];
  /** Final transcripts sent, in order. */
  transcriptsSent: string[];
  /** Appends a transcript to the script. */
  enqueue(text: string): void;
  close(): Promise<void>;
}

export const DEFAULT_TRANSCRIPT = 'I heard something';

const SAMPLE_RATE_DEFAULT = 16000;

export async function startFakeDeepgram(opts: FakeDeepgramOptions = {}): Promise<FakeDeepgram> {
  const script = [...(opts.transcripts ?? [])];
  const sessions: FakeDeepgramSession[] = [];
  const transcriptsSent: string[] = [];
  const nextTranscript = () => script.shift() ?? DEFAULT_TRANSCRIPT;
  const peekTranscript = () => script[0] ?? DEFAULT_TRANSCRIPT;

  const http = await listenLocal((req, res) => {
    // Pre-recorded REST transcription (the plugin's non-streaming `recognize`).
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/v1/listen') {
      void readBody(req).then((body) => {
        if (!authorized(req)) return sendJson(res, 401, { err_code: 'INVALID_AUTH', err_msg: 'Invalid credentials.' });
        const text = nextTranscript();
        transcriptsSent.push(text);
        const duration = Math.max(0, body.byteLength - 44) / 2 / SAMPLE_RATE_DEFAULT;
        sendJson(res, 200, {
          metadata: { request_id: randomUUID(), duration, channels: 1 },
          results: { channels: [{ alternatives: [alternative(text, 0, duration)] }] },
        });
      });
      return;
    }
    sendJson(res, 404, { err_code: 'NOT_FOUND', err_msg: 'not found' });
  });

  const wss = new WebSocketServer({ noServer: true });
  http.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/v1/listen') return rejectUpgrade(socket, 404, 'Not Found');
    if (!authorized(req)) return rejectUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const query: Record<string, string> = {};
      for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(',');
      const session: FakeDeepgramSession = {
        query,
        headers: flatHeaders(req),
        audioBytes: 0,
        messagesSent: 0,
        controlMessages: [],
        finals: [],
      };
      sessions.push(session);
      runSession(ws, session, {
        sampleRate: Number(query.sample_rate ?? SAMPLE_RATE_DEFAULT) || SAMPLE_RATE_DEFAULT,
        model: query.model ?? 'nova-3',
        finalDelayMs: opts.finalDelayMs ?? 0,
        interimEveryMs: opts.interimEveryMs ?? 200,
        endpointSilenceMs: opts.endpointSilenceMs ?? 300,
        noAudioEndMs: opts.noAudioEndMs ?? 2000,
        threshold: opts.speechThreshold ?? 0.015,
        peekTranscript,
        nextTranscript,
        onFinal: (text) => transcriptsSent.push(text),
      });
    });
  });

  return {
    url: `ws://127.0.0.1:${http.port}`,
    sessions,
    transcriptsSent,
    enqueue: (text) => void script.push(text),
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await http.close();
    },
  };
}

interface SessionConfig {
  sampleRate: number;
  model: string;
  finalDelayMs: number;
  interimEveryMs: number;
  endpointSilenceMs: number;
  noAudioEndMs: number;
  threshold: number;
  peekTranscript(): string;
  nextTranscript(): string;
  onFinal(text: string): void;
}

function runSession(ws: WebSocket, session: FakeDeepgramSession, cfg: SessionConfig): void {
  const requestId = randomUUID();
  // Positions are audio seconds since the stream opened, as Deepgram reports them.
  let audioSec = 0;
  let speaking = false;
  let utteranceStart = 0;
  let lastVoiceEnd = 0;
  let silentMs = 0;
  let voicedMs = 0;
  let wordsRevealed = 0;
  let wallTimer: NodeJS.Timeout | undefined;
  const pending = new Map<NodeJS.Timeout, () => void>();
  let closed = false;

  const send = (msg: object) => {
    if (closed || ws.readyState !== ws.OPEN) return;
    session.messagesSent++;
    ws.send(JSON.stringify(msg));
  };
  const metadata = () => ({
    request_id: requestId,
    model_info: { name: `${cfg.model}-general`, version: '2025-01-01.0', arch: cfg.model },
    model_uuid: '00000000-0000-4000-8000-000000000000',
  });
  const results = (text: string, start: number, end: number, final: boolean, extra: object = {}) => ({
    type: 'Results',
    channel_index: [0, 1],
    duration: round(end - start),
    start: round(start),
    is_final: final,
    speech_final: final,
    channel: { alternatives: [alternative(text, start, end)] },
    metadata: metadata(),
    ...extra,
  });

  const endUtterance = (endedBy: UtteranceEnd) => {
    const fromFinalize = endedBy === 'finalize' || endedBy === 'close';
    if (!speaking) return;
    speaking = false;
    clearTimeout(wallTimer);
    const text = cfg.nextTranscript();
    session.finals.push({ text, endedBy, voicedMs: Math.round(voicedMs), atAudioSec: round(audioSec) });
    const start = utteranceStart;
    const end = Math.max(lastVoiceEnd, start + 0.1);
    const deliver = () => {
      cfg.onFinal(text);
      send(results(text, start, end, true, fromFinalize ? { from_finalize: true } : {}));
      send({ type: 'UtteranceEnd', channel: [0, 1], last_word_end: round(end) });
    };
    if (cfg.finalDelayMs > 0 && !fromFinalize) {
      const timer = setTimeout(() => {
        pending.delete(timer);
        deliver();
      }, cfg.finalDelayMs);
      pending.set(timer, deliver);
    } else {
      flushPending();
      deliver();
    }
  };
  // Finalize / CloseStream: results still "being computed" go out now, in order.
  const flushPending = () => {
    for (const [timer, deliver] of pending) {
      clearTimeout(timer);
      pending.delete(timer);
      deliver();
    }
  };

  const armWallTimer = () => {
    clearTimeout(wallTimer);
    // No audio at all for a while (the client stopped sending): end the utterance anyway.
    wallTimer = setTimeout(() => endUtterance('no_audio'), cfg.noAudioEndMs);
  };

  const onAudio = (buf: Buffer) => {
    session.audioBytes += buf.byteLength;
    const samples = pcm16View(buf);
    const chunkMs = (samples.length / cfg.sampleRate) * 1000;
    const chunkStart = audioSec;
    audioSec += chunkMs / 1000;
    const voiced = rmsLevel(samples) > cfg.threshold;
    if (voiced) {
      if (!speaking) {
        speaking = true;
        utteranceStart = chunkStart;
        voicedMs = 0;
        wordsRevealed = 0;
        send({ type: 'SpeechStarted', channel: [0], timestamp: round(chunkStart) });
      }
      silentMs = 0;
      lastVoiceEnd = audioSec;
      voicedMs += chunkMs;
      const words = cfg.peekTranscript().split(/\s+/).filter(Boolean);
      const due = Math.min(words.length, Math.floor(voicedMs / cfg.interimEveryMs));
      if (due > wordsRevealed) {
        wordsRevealed = due;
        send(results(words.slice(0, due).join(' '), utteranceStart, audioSec, false));
      }
    } else if (speaking) {
      silentMs += chunkMs;
      if (silentMs >= cfg.endpointSilenceMs) endUtterance('silence');
    }
    if (speaking) armWallTimer();
  };

  const onControl = (text: string) => {
    let type = 'unknown';
    try {
      type = String((JSON.parse(text) as { type?: unknown }).type);
    } catch {
      // not JSON: Deepgram answers with an error and closes; the plugin never sends this.
    }
    session.controlMessages.push(type);
    if (type === 'Finalize') {
      if (speaking) endUtterance('finalize');
      else if (pending.size) flushPending();
      else send(results('', audioSec, audioSec, true, { speech_final: false, from_finalize: true }));
    } else if (type === 'CloseStream') {
      endUtterance('close');
      flushPending();
      // Deepgram flushes, sends a summary Metadata message, then closes. The plugin's reader
      // only finishes on a message that arrives after CloseStream, so this message matters.
      send({
        type: 'Metadata',
        transaction_key: 'deprecated',
        request_id: requestId,
        sha256: '0'.repeat(64),
        created: new Date().toISOString(),
        duration: round(audioSec),
        channels: 1,
        models: [metadata().model_uuid],
        model_info: {},
      });
      ws.close(1000);
    }
  };

  ws.on('message', (data: RawData, isBinary: boolean) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    if (isBinary) onAudio(buf);
    else onControl(buf.toString('utf8'));
  });
  ws.on('close', () => {
    closed = true;
    clearTimeout(wallTimer);
    for (const timer of pending.keys()) clearTimeout(timer);
  });
  ws.on('error', () => {});
}

function alternative(text: string, start: number, end: number) {
  const tokens = text.split(/\s+/).filter(Boolean);
  const step = tokens.length ? (end - start) / tokens.length : 0;
  return {
    transcript: text,
    confidence: 0.98,
    words: tokens.map((token, i) => ({
      word: token.toLowerCase().replace(/[^\p{L}\p{N}']/gu, ''),
      start: round(start + i * step),
      end: round(start + (i + 1) * step),
      confidence: 0.98,
      punctuated_word: token,
    })),
  };
}

function authorized(req: IncomingMessage): boolean {
  return /^Token \S+/.test(req.headers.authorization ?? '');
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

const round = (x: number) => Math.round(x * 1000) / 1000;
