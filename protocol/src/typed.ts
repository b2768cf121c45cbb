import { z } from 'zod';
import { text } from './text';

/**
 * Typed messages in a call: the call page's text box sends the caller's text to the agent as a
 * LiveKit text stream on LiveKit's chat topic (the agents framework's text input, RoomIO), and the
 * agent answers it by voice like a spoken turn. The stored user turn carries `typed: true`
 * (protocol's Utterance, the utterances table's `typed` column).
 *
 * Both edges check the text: the page before sending, the agent on receipt (a participant need
 * not be our page). A refused text is answered on TYPED_ERROR_TOPIC, to the sender only.
 */
export const TYPED_TEXT_TOPIC = 'lk.chat';
export const TYPED_ERROR_TOPIC = 'parley.typed_error';

/** One typed message, in characters (a few spoken sentences' worth, well under a stored turn's limit). */
export const TYPED_TEXT_MAX = 1000;

export const TypedTextErrorCode = z.enum(['typed_text_empty', 'typed_text_too_long', 'typed_text_invalid']);
export type TypedTextErrorCode = z.infer<typeof TypedTextErrorCode>;

/** What the agent sends back on TYPED_ERROR_TOPIC when it refuses a typed message. */
export const TypedTextError = z.object({ code: TypedTextErrorCode, max: z.number().int() });
export type TypedTextError = z.infer<typeof TypedTextError>;

/** Checks one typed message: its trimmed text, or why it is refused. */
export function checkTypedText(raw: string): { ok: true; text: string } | { ok: false; error: TypedTextError } {
  const trimmed = raw.trim();
  const refuse = (code: TypedTextErrorCode) => ({ ok: false as const, error: { code, max: TYPED_TEXT_MAX } });
  if (!trimmed) return refuse('typed_text_empty');
  // Counted in code points, as a person counts characters (an emoji is one).
  if ([...trimmed].length > TYPED_TEXT_MAX) return refuse('typed_text_too_long');
  if (!text().safeParse(trimmed).success) return refuse('typed_text_invalid');
  return { ok: true, text: trimmed };
}
