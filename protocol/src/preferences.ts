import { z } from 'zod';
import { text } from './text';
import { LANGUAGE_CODES } from './languages';

export { LANGUAGES, LANGUAGE_CODES, type LanguageCode } from './languages';

export const LIMITS = {
  systemPrompt: 2000,
  topics: 10,
  topicLength: 60,
  displayName: 80,
  /** Passwords are bounded before hashing (scrypt cost grows with length). */
  password: 200,
  utteranceText: 10_000,
} as const;

export const Language = z.enum(LANGUAGE_CODES);

export const Preferences = z.object({
  ttsVoice: text().min(1).max(100).nullable(),
  language: Language,
  favoriteTopics: z.array(text().trim().min(1).max(LIMITS.topicLength)).max(LIMITS.topics),
  systemPrompt: text().max(LIMITS.systemPrompt),
  /** "Parley remembers our past conversations" (protocol/src/memory.ts); off unless the user turns it on. */
  memory: z.boolean().default(false),
});
export type Preferences = z.infer<typeof Preferences>;

export const DEFAULT_PREFERENCES: Preferences = {
  ttsVoice: null,
  language: 'en',
  favoriteTopics: [],
  systemPrompt: '',
  memory: false,
};

/** Dispatch metadata the gateway signs into the caller's token; the agent reads it byte for byte. */
export const CallMetadata = z.object({
  conversationId: z.string().uuid(),
  guest: z.boolean(),
  preferences: Preferences,
  /**
   * The call's limits, set by the gateway: the agent ends the call with `limit_reached` after
   * `maxCallSeconds` (the smaller of the maximum call length and what is left of the caller's
   * monthly minutes). `warnSeconds` before that (LIMIT_WARNING_SECONDS; at once when the call is
   * shorter) the agent says so in the caller's language and its `parley.call_warn_at` /
   * `parley.call_ends_at` attributes let the page count down; 0: no warning. Absent: no limit.
   */
  limits: z
    .object({
      maxCallSeconds: z.number().int().min(1).max(86_400),
      warnSeconds: z.number().int().min(0).max(3600).optional(),
    })
    .optional(),
});
export type CallMetadata = z.infer<typeof CallMetadata>;
