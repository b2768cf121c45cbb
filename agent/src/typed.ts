import { llm, type voice } from '@livekit/agents';
import { checkTypedText, type TypedTextError } from '@parley/protocol';

/**
 * Typed messages (protocol/src/typed.ts): the caller's text from the call page's text box arrives
 * through the agents framework's text input (RoomIO reads LiveKit text streams on `lk.chat` from
 * the linked caller) and becomes a user turn the agent answers by voice, as RoomIO's default
 * callback does (interrupt, then reply), with two additions: the text is checked (a participant
 * need not be our page) and the user message is marked, so the Reporter stores it as typed.
 */

/** Set on the ChatMessage's `extra`; read by the Reporter. */
export const TYPED_MARK = 'parleyTyped';

export function isTyped(item: { extra?: Record<string, unknown> }): boolean {
  return item.extra?.[TYPED_MARK] === true;
}

export interface TypedInputHooks {
  /** A refused message: the sender is told why (never the text itself). */
  onRefused: (error: TypedTextError, participantIdentity: string | undefined) => void;
}

type Session = Pick<voice.AgentSession, 'interrupt' | 'generateReply'>;

/** The `textInputCallback` for `session.start({ inputOptions })`. */
export function typedTextInput(hooks: TypedInputHooks) {
  return (session: Session, ev: voice.TextInputEvent): void => {
    const checked = checkTypedText(ev.text);
    if (!checked.ok) {
      hooks.onRefused(checked.error, ev.participantIdentity);
      return;
    }
    try {
      // A reply in progress (or the greeting) stops: the caller has moved on, as when they talk over it.
      session.interrupt().await.catch(() => undefined);
    } catch {
      /* a speech that cannot be interrupted finishes first; the reply is queued after it */
    }
    const message = llm.ChatMessage.create({ role: 'user', content: checked.text, extra: { [TYPED_MARK]: true } });
    session.generateReply({ userInput: message });
  };
}
