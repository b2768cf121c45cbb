import type { Voice } from './http/voices';
import type { LanguageCode } from './preferences';

/**
 * Which voice ids each text-to-speech provider accepts, written once: the gateway's voice
 * catalogue offers and validates with these, and the agent's voice resolvers apply them when a
 * call starts (a stored voice of another provider falls back to that provider's default).
 */

/** OpenAI's text-to-speech voices (fixed by the API; every voice speaks every language). */
export const OPENAI_TTS_VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'nova',
  'onyx',
  'sage',
  'shimmer',
  'verse',
  'marin',
  'cedar',
] as const;

export const OPENAI_VOICES: Voice[] = OPENAI_TTS_VOICES.map((id) => ({
  id,
  name: id[0]!.toUpperCase() + id.slice(1),
  language: null,
}));

export function isOpenAiVoice(id: string): boolean {
  return (OPENAI_TTS_VOICES as readonly string[]).includes(id);
}

/**
 * espeak-ng voices offered for the supported languages (ids are espeak-ng voice names:
 * `espeak-ng -v <id>`). The first voice of each language is that language's default.
 */
export const ESPEAK_VOICES: Array<Voice & { language: LanguageCode }> = [
  { id: 'en-us', name: 'English (America)', language: 'en' },
  { id: 'en-gb', name: 'English (Great Britain)', language: 'en' },
  { id: 'es', name: 'Spanish (Spain)', language: 'es' },
  { id: 'es-419', name: 'Spanish (Latin America)', language: 'es' },
  { id: 'fr', name: 'French (France)', language: 'fr' },
  { id: 'de', name: 'German', language: 'de' },
  { id: 'it', name: 'Italian', language: 'it' },
  { id: 'pt', name: 'Portuguese (Portugal)', language: 'pt' },
  { id: 'pt-br', name: 'Portuguese (Brazil)', language: 'pt' },
  { id: 'nl', name: 'Dutch', language: 'nl' },
  { id: 'ja', name: 'Japanese', language: 'ja' },
  { id: 'hi', name: 'Hindi', language: 'hi' },
];

/** The espeak-ng voice for each language (its first voice in ESPEAK_VOICES). */
export const ESPEAK_LANGUAGE_VOICES: Readonly<Partial<Record<string, string>>> = ESPEAK_VOICES.reduce<
  Partial<Record<string, string>>
>((byLanguage, v) => ({ [v.language]: v.id, ...byLanguage }), {});
export const ESPEAK_FALLBACK_VOICE = 'en-us';

/** Cartesia voice ids are UUIDs; anything else (an OpenAI or espeak name) is not a Cartesia voice. */
const CARTESIA_VOICE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isCartesiaVoiceId(id: string): boolean {
  return CARTESIA_VOICE_ID.test(id);
}

/** What a voice preview says (GET /api/voices/preview), in each language Parley speaks: short, so it is cheap. */
export const VOICE_PREVIEW_TEXT: Readonly<Record<LanguageCode, string>> = {
  en: 'Hi, I am Parley. This is how I sound when we talk.',
  es: 'Hola, soy Parley. Así sueno cuando hablamos.',
  fr: 'Bonjour, je suis Parley. Voici ma voix quand nous parlons.',
  de: 'Hallo, ich bin Parley. So klinge ich, wenn wir sprechen.',
  it: 'Ciao, sono Parley. Ecco come suono quando parliamo.',
  pt: 'Olá, sou o Parley. É assim que soo quando conversamos.',
  nl: 'Hallo, ik ben Parley. Zo klink ik als we praten.',
  ja: 'こんにちは、パーリーです。話すときはこんな声です。',
  hi: 'नमस्ते, मैं पार्ली हूँ। बात करते समय मेरी आवाज़ ऐसी है।',
};
