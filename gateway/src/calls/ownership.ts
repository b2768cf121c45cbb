import type { Request } from 'express';
import type { CallRef } from './directory';

/** The account or guest session that owns a call; anyone else is told it does not exist. */
export function ownsCall(req: Pick<Request, 'user' | 'session'>, call: CallRef): boolean {
  if (call.kind === 'user') return req.user?.id === call.userId;
  return req.session?.guestConversationIds?.includes(call.id) ?? false;
}
