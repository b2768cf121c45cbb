import { DisconnectReason } from 'livekit-client';
import { ApiError, UNREACHABLE } from '../api/client';

export interface CallProblem {
  title: string;
  message: string;
}

/** getUserMedia failures, by DOMException name. */
export function microphoneProblem(e: unknown): CallProblem {
  const name = e instanceof Error || e instanceof DOMException ? e.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return {
        title: 'Microphone access was refused',
        message:
          'Parley needs your microphone to hear you. Allow microphone access for this site (usually the icon at the left of the address bar), then start the call again.',
      };
    case 'NotFoundError':
    case 'OverconstrainedError':
      return { title: 'No microphone found', message: 'Connect a microphone or headset, then start the call again.' };
    case 'NotReadableError':
    case 'AbortError':
      return {
        title: 'The microphone is busy',
        message: 'Another application may be using your microphone. Close it, then start the call again.',
      };
    default:
      return {
        title: 'The microphone could not be opened',
        message: e instanceof Error ? e.message : 'Try again, or choose another microphone.',
      };
  }
}

/** Failures of POST /api/calls. */
export function startProblem(e: unknown): CallProblem {
  if (e instanceof ApiError) {
    if (e.code === UNREACHABLE) return { title: 'Parley’s server is unreachable', message: e.message };
    if (e.code === 'service_unavailable') return { title: 'Calls are unavailable right now', message: e.message };
    if (e.code === 'rate_limited') return { title: 'Too many calls', message: e.message };
    if (e.code === 'unauthenticated')
      return { title: 'Your session has ended', message: 'Log in again to start a call.' };
    return { title: 'The call could not start', message: e.message };
  }
  return { title: 'The call could not start', message: e instanceof Error ? e.message : 'Try again.' };
}

/** Failures of room.connect (the LiveKit media server). */
export function connectProblem(e: unknown): CallProblem {
  void e;
  return {
    title: 'Could not reach the voice server',
    message:
      'Parley answered, but its media server (LiveKit) did not. It may be down or blocked by your network. Try again in a moment.',
  };
}

/** The room was lost for good (not hung up by the caller). */
export function disconnectProblem(reason: DisconnectReason | undefined): CallProblem {
  return {
    title: 'The call was disconnected',
    message:
      reason === DisconnectReason.ROOM_DELETED
        ? 'The call was closed on the server.'
        : 'The connection to the voice server was lost and could not be restored. Start a new call to continue.',
  };
}
