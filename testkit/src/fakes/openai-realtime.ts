// OpenAI's realtime transcription WebSocket (`GET /v1/realtime?intent=transcription`), as
// @livekit/agents-plugin-openai 1.8.1 speaks it with `useRealtime: true`:
//   client → `session.update` {session:{type:"transcription", audio:{input:{format:{type:"audio/pcm",
//            rate:24000}, transcription:{model, language}, turn_detection}}}},
//            `input_audio_buffer.append` {audio: base64 PCM16 LE 24 kHz mono},
//            `input_audio_buffer.commit` (when turn_detection is null: the plugin's VAD ends speech)
//   server → `session.created` / `session.updated`, `input_audio_buffer.speech_started` /
//            `speech_stopped` (server_vad), `input_audio_buffer.committed`,
//            `conversation.item.input_audio_transcription.delta` per word, then `.completed`
//            {transcript, usage}; `error` for an empty commit (which the plugin throws on).
// Speech is detected by energy in the appended audio; what was "said" comes from a script.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { flatHeaders } from './listen';
import { rmsLevel } from './voice-signal';

export interface FakeRealtimeSttOptions {
  /** Next transcript to hand out (shared with /audio/transcriptions). */
  nextTranscript(): string;
  /** RMS (fraction of full scale) above which 20 ms of audio counts as speech (default 0.015). */
  speechThreshold?: number;
  /** Delay between the end of speech (or a commit) and the first delta (default 0). */
  finalDelayMs?: number;
  /** Called with each completed transcript. */
  onFinal?(text: string): void;
  /** Fault knob: return true to refuse a new connection (503 on the upgrade). */
  refuse?(): boolean;
  /** Fault knob: return true to drop open connections (checked as audio arrives). */
  dropped?(): boolean;
  /** Fault knob: return true to send no transcripts (the socket stays open and takes audio). */
  stalled?(): boolean;
}

export interface FakeRealtimeSttSession {
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Every `session.update` body received, in order. */
  sessionUpdates: any[];
  /** Bytes of PCM appended. */
  audioBytes: number;
  /** `input_audio_buffer.commit` messages received. */
  commits: number;
  /** Completed transcripts sent on this connection. */
  completed: string[];
  /** Drops the connection (fault tests). */
  drop(): void;
}

const RATE = 24_000;
const WINDOW = RATE / 50; // 20 ms

export function attachRealtimeTranscription(server: Server, opts: FakeRealtimeSttOptions): FakeRealtimeSttSession[] {
  const sessions: FakeRealtimeSttSession[] = [];
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/v1/realtime') return reject(socket, 404, 'Not Found');
    if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) return reject(socket, 401, 'Unauthorized');
    if (url.searchParams.get('intent') !== 'transcription') return reject(socket, 400, 'Bad Request');
    if (opts.refuse?.()) return reject(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session: FakeRealtimeSttSession = {
        query: Object.fromEntries(url.searchParams),
        headers: flatHeaders(req),
        sessionUpdates: [],
        audioBytes: 0,
        commits: 0,
        completed: [],
        drop: () => ws.terminate(),
      };
      sessions.push(session);
      run(ws, session, opts);
    });
  });
  server.on('close', () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
  return sessions;
}

function run(ws: WebSocket, session: FakeRealtimeSttSession, opts: FakeRealtimeSttOptions) {
  const threshold = opts.speechThreshold ?? 0.015;
  const sessionId = `sess_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  let turnDetection: { type: string; silence_duration_ms?: number } | null = {
    type: 'server_vad',
    silence_duration_ms: 500,
  };
  // Positions in ms of audio received since the connection opened.
  let audioMs = 0;
  let carry = new Int16Array(0);
  let speaking = false;
  let speechStartMs = 0;
  let silentMs = 0;
  /** Audio (ms) appended since the last commit, and whether any of it was speech. */
  let bufferedMs = 0;
  let bufferedSpeech = false;
  let itemId = newItemId();
  let previousItemId: string | null = null;
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();

  const send = (msg: object) => {
    if (!closed && ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event_id: `event_${randomUUID()}`, ...msg }));
  };
  const sessionObject = () => ({
    object: 'realtime.transcription_session',
    id: sessionId,
    type: 'transcription',
    audio: { input: { format: { type: 'audio/pcm', rate: RATE }, turn_detection: turnDetection } },
  });

  /** Commits the buffer as one item and transcribes it (after finalDelayMs). */
  const commit = (endMs: number) => {
    const id = itemId;
    send({ type: 'input_audio_buffer.committed', item_id: id, previous_item_id: previousItemId });
    previousItemId = id;
    itemId = newItemId();
    const hadSpeech = bufferedSpeech;
    bufferedMs = 0;
    bufferedSpeech = false;
    const transcribe = () => {
      if (opts.stalled?.()) return;
      const text = hadSpeech ? opts.nextTranscript() : '';
      const words = text.match(/\S+\s*/g) ?? [];
      for (const delta of words)
        send({ type: 'conversation.item.input_audio_transcription.delta', item_id: id, content_index: 0, delta });
      if (text) {
        session.completed.push(text);
        opts.onFinal?.(text);
      }
      send({
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: id,
        content_index: 0,
        transcript: text,
        usage: { type: 'duration', seconds: Math.round(endMs) / 1000 },
      });
    };
    const delay = opts.finalDelayMs ?? 0;
    if (delay <= 0) return transcribe();
    const t = setTimeout(() => {
      timers.delete(t);
      transcribe();
    }, delay);
    timers.add(t);
  };

  const onAudio = (pcm: Int16Array) => {
    // Analyse in 20 ms windows (the plugin sends 50 ms chunks).
    const all = new Int16Array(carry.length + pcm.length);
    all.set(carry);
    all.set(pcm, carry.length);
    let i = 0;
    for (; i + WINDOW <= all.length; i += WINDOW) {
      const voiced = rmsLevel(all.subarray(i, i + WINDOW)) > threshold;
      audioMs += 20;
      bufferedMs += 20;
      if (voiced) {
        bufferedSpeech = true;
        silentMs = 0;
        if (!speaking) {
          speaking = true;
          speechStartMs = audioMs - 20;
          if (turnDetection)
            send({ type: 'input_audio_buffer.speech_started', item_id: itemId, audio_start_ms: speechStartMs });
        }
      } else if (speaking) {
        silentMs += 20;
        if (silentMs >= (turnDetection?.silence_duration_ms ?? 500)) {
          speaking = false;
          if (turnDetection) {
            const endMs = audioMs - silentMs;
            send({ type: 'input_audio_buffer.speech_stopped', item_id: itemId, audio_end_ms: endMs });
            commit(endMs - speechStartMs);
          }
        }
      }
    }
    carry = all.slice(i);
  };

  send({ type: 'session.created', session: sessionObject() });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return;
    let msg: any;
    try {
      msg = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
    } catch {
      return send({
        type: 'error',
        error: { type: 'invalid_request_error', code: 'invalid_json', message: 'bad JSON' },
      });
    }
    switch (msg?.type) {
      case 'session.update': {
        session.sessionUpdates.push(msg.session);
        const input = msg.session?.audio?.input ?? {};
        if ('turn_detection' in input) turnDetection = input.turn_detection ?? null;
        send({ type: 'session.updated', session: sessionObject() });
        break;
      }
      case 'input_audio_buffer.append': {
        if (opts.dropped?.()) return ws.terminate();
        const buf = Buffer.from(String(msg.audio ?? ''), 'base64');
        session.audioBytes += buf.byteLength;
        const samples = new Int16Array(Math.floor(buf.byteLength / 2));
        for (let k = 0; k < samples.length; k++) samples[k] = buf.readInt16LE(k * 2);
        onAudio(samples);
        break;
      }
      case 'input_audio_buffer.commit': {
        session.commits++;
        if (bufferedMs < 100) {
          send({
            type: 'error',
            error: {
              type: 'invalid_request_error',
              code: 'input_audio_buffer_commit_empty',
              message: `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${bufferedMs.toFixed(2)}ms of audio.`,
            },
          });
          break;
        }
        speaking = false;
        commit(bufferedMs);
        break;
      }
      case 'input_audio_buffer.clear':
        bufferedMs = 0;
        bufferedSpeech = false;
        send({ type: 'input_audio_buffer.cleared' });
        break;
      default:
        break;
    }
  });
  ws.on('close', () => {
    closed = true;
    for (const t of timers) clearTimeout(t);
  });
  ws.on('error', () => {});
}

const newItemId = () => `item_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

function reject(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
