import { llm } from '@livekit/agents';
import { ConversationHistory, type Utterance } from '@parley/protocol';
import { GatewayHttpError, postSigned } from './reporting/gateway-client';

/**
 * A job that starts in a conversation that already has utterances replaces a lost agent (its job
 * or worker died, or its LiveKit node did): it continues that conversation instead of starting
 * over. The gateway re-dispatches it (gateway/src/calls/recovery.ts); this module reads what was
 * said so far and turns it into the new agent's chat context and its first seq.
 */

/**
 * Seqs left free after the stored ones: the lost job's last utterances may still arrive (re-sent
 * from its spool) and keep their own seqs, so neither job's utterances overwrite the other's.
 */
export const RESUME_SEQ_GAP = 100;

/**
 * The stored utterances of the conversation, in seq order: retried while the gateway is unreachable
 * or failing (5xx, 408, 429); a refusal (other 4xx, e.g. a conversation it does not know) is final.
 */
export async function fetchConversationHistory(
  gateway: { url: string; secret: string },
  conversationId: string,
  { attempts = 8, delayMs = 250 }: { attempts?: number; delayMs?: number } = {},
): Promise<Utterance[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const body = await postSigned(gateway, `/internal/conversations/${conversationId}/history`, {}, 3000);
      return ConversationHistory.parse(body).utterances.sort((a, b) => a.seq - b.seq);
    } catch (err) {
      const refused = err instanceof GatewayHttpError && err.status < 500 && err.status !== 408 && err.status !== 429;
      if (refused || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.min(2000, delayMs * 2 ** (attempt - 1))));
    }
  }
}

/** The chat context a replacement agent starts from, and the seq of its first utterance; null for a new call. */
export function resumeFrom(utterances: Utterance[]): { chatCtx: llm.ChatContext; firstSeq: number } | null {
  if (utterances.length === 0) return null;
  const chatCtx = llm.ChatContext.empty();
  for (const u of utterances)
    chatCtx.addMessage({
      role: u.role === 'user' ? 'user' : 'assistant',
      content: u.text,
      interrupted: u.interrupted,
      createdAt: Date.parse(u.startedAt),
    });
  return { chatCtx, firstSeq: Math.max(...utterances.map((u) => u.seq)) + 1 + RESUME_SEQ_GAP };
}
