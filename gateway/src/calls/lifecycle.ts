import type { AppContext } from '../context';
import { generateTitle } from '../conversations/title';
import type { CallRef } from './directory';

/**
 * What happens once a call has ended, whichever path ended it (the agent's report or a LiveKit
 * webhook): account holders' conversations get a title. Runs in the background; a failure only
 * leaves the fallback title.
 */
export function afterCallEnded(ctx: AppContext, call: CallRef): void {
  if (call.kind !== 'user') return;
  generateTitle(ctx, call.id).catch((err: Error) =>
    ctx.logger.warn({ conversationId: call.id, errName: err.name }, 'title generation failed'),
  );
}
