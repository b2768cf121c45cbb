import type { CallGrant } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { call } from './client';

export type { CallGrant };

/** Starts a call for the logged-in user or, without an account, a guest (the gateway sets its cookie). */
export const startCall = () => call(api.calls.create, { body: {} });

/** A fresh token for the same live call, after its LiveKit node was lost (409 call_ended once it is over). */
export const rejoinCall = (id: string) => call(api.calls.rejoin, { params: { id } });

export function transcriptSocketUrl(conversationId: string, origin = location.origin): string {
  return `${origin.replace(/^http/, 'ws')}/ws/transcripts?conversationId=${encodeURIComponent(conversationId)}`;
}
