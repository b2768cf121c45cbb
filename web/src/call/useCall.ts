import type * as LivekitModule from 'livekit-client';
import type { DisconnectReason, LocalAudioTrack, Room } from 'livekit-client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { MediaWatch } from '@parley/protocol';
import { rejoinCall, startCall, type CallGrant } from '../api/calls';
import { ApiError } from '../api/client';
import { connectProblem, disconnectProblem, microphoneProblem, startProblem, type CallProblem } from './errors';

const MIC_OPTIONS = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/**
 * livekit-client (most of the call page's weight) loads when a call starts, not with the page: the page
 * shows its start button at once and the library arrives while the microphone is being opened.
 */
type Livekit = typeof LivekitModule;
let livekit: Promise<Livekit> | null = null;
export const loadLivekit = (): Promise<Livekit> =>
  (livekit ??= import('livekit-client').catch((e: unknown) => {
    livekit = null; // a failed fetch (offline, a redeploy) is tried again on the next start
    throw e;
  }));

/** Disconnections that mean the connection (or its LiveKit node) was lost, not that the call was ended or taken over. */
const rejoinable = ({ DisconnectReason: R }: Livekit, reason: DisconnectReason) =>
  [
    R.UNKNOWN_REASON,
    R.SERVER_SHUTDOWN,
    R.STATE_MISMATCH,
    R.JOIN_FAILURE,
    R.MIGRATION,
    R.SIGNAL_CLOSE,
    R.CONNECTION_TIMEOUT,
  ].includes(reason);
/** Waits before each rejoin attempt (the first at once; ~25 s in all, then the call is given up). */
const REJOIN_DELAYS_MS = [0, 1000, 2000, 4000, 8000, 10000];

/** How often the page looks at its media with the agent. */
const MEDIA_CHECK_MS = 1000;

/**
 * Calls `onBroken` once when, for CALL_MEDIA_BIND_MS while the room was connected, an agent's audio
 * track in `r` has been published and not subscribed, or the agent's audio has been there and the
 * page's microphone (once published) not subscribed by anyone: the session is half set up, and the
 * page joins again. Likewise when LiveKit's own reconnection has not ended within
 * CALL_RECONNECT_MAX_MS.
 * Looked at every second rather than per event: a session rebuilt by the SDK's own reconnection may
 * learn of the agent's track with its join, announced by no TrackPublished. Returns what stops the
 * watch (it stops by itself when the room disconnects).
 */
function watchMedia({ RoomEvent, Track, ConnectionState }: Livekit, r: Room, onBroken: () => void): () => void {
  const taken = new Set<string>(); // local track sids LiveKit reported subscribed
  r.on(RoomEvent.LocalTrackSubscribed, (pub) => taken.add(pub.trackSid));
  const watch = new MediaWatch();
  const check = setInterval(() => {
    // LiveKit's own reconnection under way: it ends connected (look again) or disconnected (rejoin),
    // or, not ended within CALL_RECONNECT_MAX_MS, is given up (rejoin).
    if (r.state === ConnectionState.Reconnecting || r.state === ConnectionState.SignalReconnecting) {
      if (!watch.reconnecting()) return;
      clearInterval(check);
      return onBroken();
    }
    const agents = [...r.remoteParticipants.values()].filter((p) => p.isAgent);
    const agentsWithoutAudio = agents
      .filter((p) => ![...p.trackPublications.values()].some((pub) => pub.kind === Track.Kind.Audio))
      .map((p) => p.identity);
    const agentAudio = agents
      .flatMap((p) => [...p.trackPublications.values()])
      .filter((pub) => pub.kind === Track.Kind.Audio)
      .map((pub) => ({ sid: pub.trackSid, subscribed: !!pub.track }));
    const mic = r.localParticipant.getTrackPublication(Track.Source.Microphone)?.trackSid;
    if (watch.broken({ agentAudio, agentsWithoutAudio, mic, micTaken: (sid) => taken.has(sid) })) {
      clearInterval(check);
      onBroken();
    }
  }, MEDIA_CHECK_MS);
  const stop = () => clearInterval(check);
  r.on(RoomEvent.Disconnected, stop);
  return stop;
}

export type CallPhase = 'idle' | 'starting' | 'live' | 'ended';
/** LiveKit's ConnectionState values (a string enum), without loading the library for them. */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'signalReconnecting';

export interface CallControl {
  phase: CallPhase;
  room: Room | null;
  grant: CallGrant | null;
  connection: ConnectionState;
  /** Why the call could not start or stopped unexpectedly. */
  problem: CallProblem | null;
  /** Shown for a few seconds after LiveKit recovered a dropped connection. */
  justReconnected: boolean;
  start(): Promise<void>;
  end(): Promise<void>;
}

/**
 * One call's lifecycle: open the microphone first (so a refusal creates no conversation), ask the
 * gateway for a room, join it, publish the microphone, and follow LiveKit's connection state.
 */
export function useCall(): CallControl {
  const [phase, setPhase] = useState<CallPhase>('idle');
  const [room, setRoom] = useState<Room | null>(null);
  const [grant, setGrant] = useState<CallGrant | null>(null);
  const [connection, setConnection] = useState<ConnectionState>('disconnected');
  const [problem, setProblem] = useState<CallProblem | null>(null);
  const [justReconnected, setJustReconnected] = useState(false);
  const leaving = useRef(false);
  const rejoinInFlight = useRef(false);
  const roomRef = useRef<Room | null>(null);

  const start = useCallback(async () => {
    /**
     * Joins the grant's room with `mic`. When the room is lost without the caller hanging up (its
     * LiveKit node died and LiveKit's own reconnection gave up), asks for a fresh token for the same
     * conversation and joins again: LiveKit recreates the room on a live node and the agent is
     * dispatched again.
     */
    const join = async (g: CallGrant, mic: LocalAudioTrack, rejoining = false): Promise<boolean> => {
      // LiveKit's own page-leave handling disconnects on 'beforeunload' already, before the caller has
      // answered the "leave the call?" dialog (and a "Stay" left them in a dead call): only a page
      // that really goes away ('pagehide') hangs up.
      const r = new Room({ adaptiveStream: false, dynacast: false, disconnectOnPageLeave: false });
      const onPageHide = () => {
        leaving.current = true;
        void r.disconnect();
      };
      window.addEventListener('pagehide', onPageHide);
      r.on(RoomEvent.Disconnected, () => window.removeEventListener('pagehide', onPageHide));
      r.on(RoomEvent.ConnectionStateChanged, (s) => {
        if (roomRef.current === r) setConnection(s as ConnectionState);
      });
      r.on(RoomEvent.Reconnected, () => {
        setJustReconnected(true);
        setTimeout(() => setJustReconnected(false), 4000);
      });
      r.on(RoomEvent.Disconnected, (reason?: DisconnectReason) => {
        mic.stop();
        // A failed connect (handled where it was awaited), or a session a rejoin replaces.
        if (roomRef.current !== r || rejoinInFlight.current) return;
        if (!leaving.current && reason !== undefined && rejoinable(lib, reason)) {
          void rejoin(g.conversationId);
          return;
        }
        setPhase('ended');
        if (!leaving.current && reason !== DisconnectReason.CLIENT_INITIATED)
          setProblem(disconnectProblem(reason === DisconnectReason.ROOM_DELETED));
      });
      const stopWatching = watchMedia(lib, r, () => {
        if (roomRef.current === r && !leaving.current && !rejoinInFlight.current) void rejoin(g.conversationId, r);
      });
      roomRef.current = r;
      setGrant(g);
      setRoom(r);
      try {
        await r.connect(g.url, g.token);
      } catch (e) {
        roomRef.current = null;
        stopWatching();
        mic.stop();
        if (rejoining) return false;
        setRoom(null);
        setGrant(null);
        setProblem(connectProblem(e));
        setPhase('idle');
        return false;
      }
      try {
        await r.localParticipant.publishTrack(mic, { source: Track.Source.Microphone });
      } catch (e) {
        setProblem(microphoneProblem(e));
      }
      return true;
    };

    /**
     * Joins the conversation again with a fresh token. `stale`: a session still connected but whose
     * agent audio never arrived; the new join (same identity) replaces it, and it is closed after.
     */
    const rejoin = async (conversationId: string, stale?: Room) => {
      if (rejoinInFlight.current) return;
      rejoinInFlight.current = true;
      try {
        await rejoinAttempts(conversationId);
      } finally {
        rejoinInFlight.current = false;
        if (stale && roomRef.current !== stale) void stale.disconnect();
      }
    };
    const rejoinAttempts = async (conversationId: string) => {
      setConnection('reconnecting');
      for (let attempt = 0; attempt < REJOIN_DELAYS_MS.length && !leaving.current; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, REJOIN_DELAYS_MS[attempt]));
        let g: CallGrant;
        try {
          g = await rejoinCall(conversationId);
        } catch (e) {
          if (e instanceof ApiError && e.code === 'call_ended') break;
          continue;
        }
        let mic: LocalAudioTrack;
        try {
          mic = await createLocalAudioTrack(MIC_OPTIONS);
        } catch (e) {
          setProblem(microphoneProblem(e));
          break;
        }
        if (leaving.current) return mic.stop();
        if (await join(g, mic, true)) {
          setJustReconnected(true);
          setTimeout(() => setJustReconnected(false), 4000);
          return;
        }
      }
      if (leaving.current) return;
      setPhase('ended');
      setProblem(disconnectProblem(false));
    };

    setProblem(null);
    setPhase('starting');
    leaving.current = false;
    let lib: Livekit;
    try {
      lib = await loadLivekit();
    } catch (e) {
      setProblem(startProblem(e));
      setPhase('idle');
      return;
    }
    const { Room, RoomEvent, Track, DisconnectReason, createLocalAudioTrack } = lib;
    let mic: LocalAudioTrack;
    try {
      mic = await createLocalAudioTrack(MIC_OPTIONS);
    } catch (e) {
      setProblem(microphoneProblem(e));
      setPhase('idle');
      return;
    }
    let g: CallGrant;
    try {
      g = await startCall();
    } catch (e) {
      mic.stop();
      setProblem(startProblem(e));
      setPhase('idle');
      return;
    }
    if (!(await join(g, mic))) return;
    setPhase('live');
  }, []);

  const end = useCallback(async () => {
    leaving.current = true;
    await roomRef.current?.disconnect(true);
    setPhase('ended');
  }, []);

  useEffect(
    () => () => {
      leaving.current = true;
      void roomRef.current?.disconnect(true);
    },
    [],
  );

  return { phase, room, grant, connection, problem, justReconnected, start, end };
}
