import { z } from 'zod';
import { EndReason } from '@parley/protocol';

/** POST /api/calls takes no input: anything sent is ignored (preferences come from the database). */
export const CreateCallBody = z.object({});

export const CallCreated = z.object({
  /** LiveKit server URL for the browser (LIVEKIT_PUBLIC_URL). */
  url: z.string(),
  /** Join token for `room` only, with the agent dispatch; expires after CALL_TOKEN_TTL_SECONDS. */
  token: z.string(),
  room: z.string(),
  conversationId: z.string().uuid(),
});

export const CallStatusBody = z.object({
  conversationId: z.string().uuid(),
  status: z.enum(['created', 'active', 'ended']),
  endReason: EndReason.nullable(),
});
