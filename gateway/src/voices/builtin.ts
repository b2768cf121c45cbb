import type { Voice } from '@parley/protocol';

export type { Voice } from '@parley/protocol';

/**
 * Cartesia voices offered when the API cannot be asked (no key, or the call failed). The
 * configured default (CARTESIA_VOICE) is always added in front.
 */
export const CARTESIA_FALLBACK_VOICES: Voice[] = [
  { id: 'a0e99841-438c-4a64-b679-ae501e7d6091', name: 'Barbershop Man', language: 'en' },
  { id: '79a125e8-cd45-4c13-8a67-188112f4dd22', name: 'British Lady', language: 'en' },
  { id: '156fb8d2-335b-4950-9cb3-a2d33befec77', name: 'Helpful Woman', language: 'en' },
];
