import { z } from 'zod';
import { EndReason } from '../transcript';
import { IdParams } from './common';
import { ConversationStatus } from './conversations';
import { defineRoute } from './route';

/** POST /api/calls takes no input: anything sent is ignored (preferences come from the database). */
export const CreateCallBody = z.unknown().describe('Ignored (send {}); only unparseable JSON is refused.');

/** What the browser needs to join: LiveKit's URL, a join token for one room, and the conversation id. */
export const CallGrant = z.object({
  /** LiveKit server URL for the browser (LIVEKIT_PUBLIC_URL). */
  url: z.string(),
  /** Join token for `room` only, with the agent dispatch; expires after CALL_TOKEN_TTL_SECONDS. */
  token: z.string(),
  room: z.string(),
  conversationId: z.string().uuid(),
});
export type CallGrant = z.infer<typeof CallGrant>;

export const CallStatus = z.object({
  conversationId: z.string().uuid(),
  status: ConversationStatus,
  endReason: EndReason.nullable(),
});
export type CallStatus = z.infer<typeof CallStatus>;

export const callsRoutes = {
  create: defineRoute({
    method: 'post',
    path: '/api/calls',
    scopes: ['calls:start'],
    summary:
      'Start a voice call as the signed-in user or as a guest (a guest session cookie is set). Returns a LiveKit token for one new room with the agent dispatched; preferences come from the database, the body is ignored.',
    body: CreateCallBody,
    response: CallGrant,
    status: 201,
    errors: {
      429: [
        'rate_limited',
        'quota_exceeded (the day’s minutes used up, until midnight UTC)',
        'guest_limit_reached (guest calls from this IP used up for the day)',
      ],
      503: 'service_unavailable',
    },
  }),
  rejoin: defineRoute({
    method: 'post',
    path: '/api/calls/:id/rejoin',
    scopes: ['calls:start'],
    summary:
      'A fresh LiveKit token for a live call, for its owner: the client lost its LiveKit node, or its session never got the agent’s audio, and joins the same room (recreated on a live node, the agent dispatched again) under the same conversation and participant identity, which replaces any session of its still there.',
    auth: 'session',
    params: IdParams,
    response: CallGrant,
    status: 201,
    errors: { 409: 'call_ended', 429: 'rate_limited' },
  }),
  status: defineRoute({
    method: 'get',
    path: '/api/calls/:id',
    scopes: ['calls:start'],
    summary: "A call's status and end reason, for the account or guest session that started it (404 for anyone else).",
    auth: 'session',
    params: IdParams,
    response: CallStatus,
  }),
};
