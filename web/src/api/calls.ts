import { api } from './client';

export interface CallGrant {
  url: string;
  token: string;
  room: string;
  conversationId: string;
}

/** Starts a call for the logged-in user or, without an account, a guest (the gateway sets its cookie). */
export const startCall = () => api.post<CallGrant>('/api/calls', {});

export function transcriptSocketUrl(conversationId: string, origin = location.origin): string {
  return `${origin.replace(/^http/, 'ws')}/ws/transcripts?conversationId=${encodeURIComponent(conversationId)}`;
}
