import type { AppContext } from '../context';
import { generateTitle } from '../conversations/title';
import { MemoryService } from '../memory/service';
import { summarizeConversation } from '../memory/summary';
import type { CallRef } from './directory';

/**
 * What happens once a call has ended, whichever path ended it (the agent's report or a LiveKit
 * webhook): account holders' conversations get a title, and when the user's memory is on, a
 * summary with it (one LLM request for both). Runs in the background; a failure only leaves the
 * fallback title (and the extractive summary). Guests get neither. The call.ended webhook event is
 * queued in the background too (a receiver never delays anything here).
 */
export function afterCallEnded(ctx: AppContext, call: CallRef): void {
  if (call.kind !== 'user') return;
  ctx.webhooks.callEnded(call.userId, call.id);
  (async () => {
    if (await new MemoryService(ctx).enabledFor(call.userId)) await summarizeConversation(ctx, call.userId, call.id);
    else await generateTitle(ctx, call.id);
  })().catch((err: Error) =>
    ctx.logger.warn({ conversationId: call.id, errName: err.name }, 'title or summary generation failed'),
  );
}
