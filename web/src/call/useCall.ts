import {
  ConnectionState,
  DisconnectReason,
  Room,
  RoomEvent,
  Track,
  createLocalAudioTrack,
  type LocalAudioTrack,
} from 'livekit-client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { startCall, type CallGrant } from '../api/calls';
import { connectProblem, microphoneProblem, startProblem, type CallProblem } from './errors';

export type CallPhase = 'idle' | 'starting' | 'live' | 'ended';

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
  const [connection, setConnection] = useState<ConnectionState>(ConnectionState.Disconnected);
  const [problem, setProblem] = useState<CallProblem | null>(null);
  const [justReconnected, setJustReconnected] = useState(false);
  const leaving = useRef(false);
  const roomRef = useRef<Room | null>(null);

  const start = useCallback(async () => {
    setProblem(null);
    setPhase('starting');
    leaving.current = false;
    let mic: LocalAudioTrack;
    try {
      mic = await createLocalAudioTrack({ echoCancellation: true, noiseSuppression: true, autoGainControl: true });
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
    const r = new Room({ adaptiveStream: false, dynacast: false, disconnectOnPageLeave: true });
    r.on(RoomEvent.ConnectionStateChanged, (s) => setConnection(s));
    r.on(RoomEvent.Reconnected, () => {
      setJustReconnected(true);
      setTimeout(() => setJustReconnected(false), 4000);
    });
    r.on(RoomEvent.Disconnected, (reason?: DisconnectReason) => {
      mic.stop();
      if (roomRef.current !== r) return; // a failed connect, handled where it was awaited
      setPhase('ended');
      if (!leaving.current && reason !== DisconnectReason.CLIENT_INITIATED) {
        setProblem({
          title: 'The call was disconnected',
          message:
            reason === DisconnectReason.ROOM_DELETED
              ? 'The call was closed on the server.'
              : 'The connection to the voice server was lost and could not be restored. Start a new call to continue.',
        });
      }
    });
    roomRef.current = r;
    setGrant(g);
    setRoom(r);
    try {
      await r.connect(g.url, g.token);
    } catch (e) {
      roomRef.current = null;
      mic.stop();
      setRoom(null);
      setGrant(null);
      setProblem(connectProblem(e));
      setPhase('idle');
      return;
    }
    try {
      await r.localParticipant.publishTrack(mic, { source: Track.Source.Microphone });
    } catch (e) {
      setProblem(microphoneProblem(e));
    }
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
