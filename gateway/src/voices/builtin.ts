import { OPENAI_TTS_VOICES, type LanguageCode } from '@parley/protocol';

export interface Voice {
  id: string;
  name: string;
  /** Primary language (ISO 639-1), when the provider says. */
  language: string | null;
  description?: string;
}

/** OpenAI's text-to-speech voices (fixed by the API; every voice speaks every language). */
export const OPENAI_VOICES: Voice[] = OPENAI_TTS_VOICES.map((id) => ({
  id,
  name: id[0]!.toUpperCase() + id.slice(1),
  language: null,
}));

/** espeak-ng voices for the supported languages (ids are espeak-ng voice names: `espeak-ng -v <id>`). */
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

/**
 * Cartesia voices offered when the API cannot be asked (no key, or the call failed). The
 * configured default (CARTESIA_VOICE) is always added in front.
 */
export const CARTESIA_FALLBACK_VOICES: Voice[] = [
  { id: 'a0e99841-438c-4a64-b679-ae501e7d6091', name: 'Barbershop Man', language: 'en' },
  { id: '79a125e8-cd45-4c13-8a67-188112f4dd22', name: 'British Lady', language: 'en' },
  { id: '156fb8d2-335b-4950-9cb3-a2d33befec77', name: 'Helpful Woman', language: 'en' },
];
