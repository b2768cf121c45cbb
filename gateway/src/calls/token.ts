import { createHash, randomBytes } from 'node:crypto';
import { AccessToken, RoomAgentDispatch, RoomConfiguration } from 'livekit-server-sdk';
import type { CallMetadata } from '@parley/protocol';
import type { GatewayConfig } from '../config/config';

/** A fresh, unguessable room per call: the token's agent dispatch only fires for a new room. */
export const newRoomName = () => `parley-${randomBytes(12).toString('hex')}`;
/**
 * A guest's identity in its call's room, the same for every join of that call (as a user's is): a
 * rejoin then replaces the caller's old session (DUPLICATE_IDENTITY) instead of standing beside it.
 * Derived from the conversation id, which it does not reveal.
 */
export const guestIdentity = (conversationId: string) =>
  `guest-${createHash('sha256').update(`parley-guest:${conversationId}`).digest('hex').slice(0, 16)}`;
export const userIdentity = (userId: string) => `user-${userId}`;

/**
 * The caller's LiveKit token: join (publish, subscribe, data) for this one room and nothing else
 * — no admin, create, list or recorder grants — with the agent dispatched by name and the call
 * metadata the gateway composed. Only the gateway holds the API secret, so none of it can be altered.
 */
export async function callToken(
  livekit: GatewayConfig['livekit'],
  input: { identity: string; room: string; metadata: CallMetadata },
): Promise<string> {
  const at = new AccessToken(livekit.apiKey, livekit.apiSecret, {
    identity: input.identity,
    ttl: livekit.tokenTtlSeconds,
  });
  at.addGrant({
    room: input.room,
    roomJoin: true,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: false,
  });
  at.roomConfig = new RoomConfiguration({
    agents: [new RoomAgentDispatch({ agentName: livekit.agentName, metadata: JSON.stringify(input.metadata) })],
  });
  return at.toJwt();
}
