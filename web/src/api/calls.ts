import { api, type CallGrant } from '@parley/protocol';
import { call } from './client';

export type { CallGrant };

/** Starts a call for the logged-in user or, without an account, a guest (the gateway sets its cookie). */
export const startCall = () => call(api.calls.create, { body: {} });

export function transcriptSocketUrl(conversationId: string, origin = location.origin): string {
  return `${origin.replace(/^http/, 'ws')}/ws/transcripts?conversationId=${encodeURIComponent(conversationId)}`;
}
