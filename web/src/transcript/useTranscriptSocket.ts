import type { ServerMessage } from '@parley/protocol';
import { useEffect, useReducer, useRef, useState } from 'react';
import { transcriptSocketUrl } from '../api/calls';
import { initialTranscript, transcriptReducer, type TranscriptState } from './state';

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface TranscriptSocketOptions {
  /** For tests: a WebSocket constructor. */
  WebSocketImpl?: typeof WebSocket;
  /** Base of the reconnect backoff in ms (doubles per attempt, capped at maxDelayMs). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  pingEveryMs?: number;
}

export interface TranscriptSocket {
  transcript: TranscriptState;
  status: SocketStatus;
  /** Last `error` message from the server (e.g. not allowed to watch this conversation). */
  serverError: string | null;
}

/** Backoff for attempt n (0-based): base·2ⁿ capped, with ±20 % jitter so clients don't reconnect in step. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/**
 * Follows one conversation's live transcript over the gateway's WebSocket. Reconnects with backoff
 * until the call ends; every (re)connect starts with a snapshot, so nothing said in a gap is lost.
 */
export function useTranscriptSocket(
  conversationId: string | null,
  options: TranscriptSocketOptions = {},
): TranscriptSocket {
  const [transcript, dispatch] = useReducer(transcriptReducer, initialTranscript);
  const [status, setStatus] = useState<SocketStatus>('connecting');
  const [serverError, setServerError] = useState<string | null>(null);
  const opts = useRef(options);
  opts.current = options;

  useEffect(() => {
    dispatch({ type: 'reset' });
    setServerError(null);
    if (!conversationId) return;
    const { WebSocketImpl = WebSocket, baseDelayMs = 500, maxDelayMs = 10_000, pingEveryMs = 25_000 } = opts.current;
    let socket: WebSocket | null = null;
    let attempt = 0;
    let stopped = false;
    let ended = false; // tracked here, not from render state: a close can follow call_ended before React renders
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let pingTimer: ReturnType<typeof setInterval> | undefined;
    // The message schema (zod, with the rest of the contract) loads with the first socket, not with the
    // page; messages and closes are handled in arrival order behind it.
    const schema = import('@parley/protocol').then((m) => m.ServerMessage);
    let queue: Promise<unknown> = Promise.resolve();
    const inOrder = (fn: (s: typeof ServerMessage) => void) => {
      queue = queue
        .then(() => schema)
        .then((s) => {
          if (!stopped) fn(s);
        });
    };

    const connect = () => {
      if (stopped) return;
      setStatus(attempt === 0 ? 'connecting' : 'reconnecting');
      const ws = new WebSocketImpl(transcriptSocketUrl(conversationId));
      socket = ws;
      ws.onopen = () => {
        attempt = 0;
        setStatus('open');
        pingTimer = setInterval(() => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'ping' }));
        }, pingEveryMs);
      };
      ws.onmessage = (ev: MessageEvent) => {
        if (typeof ev.data !== 'string') return;
        let raw: unknown;
        try {
          raw = JSON.parse(ev.data);
        } catch {
          return;
        }
        inOrder((ServerMessage) => {
          const parsed = ServerMessage.safeParse(raw);
          if (!parsed.success) return;
          const m = parsed.data;
          if (m.type === 'error') setServerError(m.message);
          if (m.type === 'call_ended' || (m.type === 'snapshot' && m.ended)) ended = true;
          dispatch(parsed.data);
        });
      };
      ws.onclose = () => {
        clearInterval(pingTimer);
        inOrder(() => {
          if (socket !== ws) return;
          socket = null;
          if (ended) {
            setStatus('closed');
            return;
          }
          setStatus('reconnecting');
          retryTimer = setTimeout(connect, backoffDelay(attempt++, baseDelayMs, maxDelayMs));
        });
      };
    };

    connect();
    return () => {
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      socket?.close(1000, 'client left');
      socket = null;
    };
  }, [conversationId]);

  return { transcript, status, serverError };
}
