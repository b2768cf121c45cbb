import { ApiError, UNREACHABLE, errorMessage } from '../api/client';
import { i18n } from '../i18n';

const t = i18n.t.bind(i18n);

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
      return { title: t('problems.micRefused'), message: t('problems.micRefusedText') };
    case 'NotFoundError':
    case 'OverconstrainedError':
      return { title: t('problems.noMic'), message: t('problems.noMicText') };
    case 'NotReadableError':
    case 'AbortError':
      return { title: t('problems.micBusy'), message: t('problems.micBusyText') };
    default:
      return {
        title: t('problems.micFailed'),
        message: e instanceof Error && e.message ? e.message : t('problems.micFailedText'),
      };
  }
}

/** Failures of POST /api/calls. */
export function startProblem(e: unknown): CallProblem {
  if (e instanceof ApiError) {
    const message = errorMessage(e);
    if (e.code === UNREACHABLE) return { title: t('problems.unreachable'), message };
    if (e.code === 'service_unavailable') return { title: t('problems.unavailable'), message };
    if (e.code === 'rate_limited') return { title: t('problems.tooMany'), message };
    if (e.code === 'unauthenticated') return { title: t('problems.sessionEnded'), message: t('problems.loginAgain') };
    return { title: t('problems.couldNotStart'), message };
  }
  return { title: t('problems.couldNotStart'), message: e instanceof Error ? e.message : t('common.tryAgain') };
}

/** Failures of room.connect (the LiveKit media server). */
export function connectProblem(e: unknown): CallProblem {
  void e;
  return { title: t('problems.voiceServer'), message: t('problems.voiceServerText') };
}

/** The room was lost for good (not hung up by the caller); `roomDeleted`: the server closed it. */
export function disconnectProblem(roomDeleted: boolean): CallProblem {
  return {
    title: t('call.disconnected'),
    message: roomDeleted ? t('call.closedOnServer') : t('call.connectionGone'),
  };
}
