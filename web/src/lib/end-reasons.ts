import type { EndReason } from '@parley/protocol';

/** How a call ended, in words for the caller (call page and history). */
export const END_REASONS: Record<EndReason, string> = {
  caller_left: 'You hung up',
  agent_ended: 'Parley ended the call',
  agent_failed: 'The agent stopped unexpectedly',
  room_closed: 'The call was closed',
  server_restarted: 'The server restarted',
  timeout: 'Timed out',
  speech_unavailable: 'Speech recognition or synthesis is not installed on the server',
};

export const endReasonText = (r: string | null | undefined): string | null =>
  r ? ((END_REASONS as Record<string, string>)[r] ?? r) : null;
