import { spawnSync } from 'node:child_process';
import { ESPEAK_FALLBACK_VOICE, ESPEAK_LANGUAGE_VOICES } from '@parley/protocol';
import { espeakBinary } from './engines.js';

/** The voices and variants this machine's espeak-ng knows, as ids `-v` accepts. */
export interface EspeakCatalog {
  /** Language codes (`en-us`, `fr-fr`), voice files (`roa/fr`, `fr`) and names, lower-cased. */
  voices: ReadonlySet<string>;
  /** Variant names usable after `+` (`f3`, `klatt`, `Alex`), as the files are named. */
  variants: ReadonlySet<string>;
}

function listColumns(args: string[]): string[][] {
  const res = spawnSync(espeakBinary(), args, {
    encoding: 'utf8',
    timeout: 5_000,
  });
  if (res.error || typeof res.stdout !== 'string') return [];
  return res.stdout
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols.length >= 5);
}

let catalog: EspeakCatalog | undefined;

/** Reads `espeak-ng --voices` once per process (~20 ms); empty when espeak-ng is missing. */
export function espeakCatalog(): EspeakCatalog {
  if (catalog) return catalog;
  const voices = new Set<string>();
  for (const cols of listColumns(['--voices'])) {
    // Pty Language Age/Gender VoiceName File [Other Languages]
    voices.add(cols[1]!.toLowerCase());
    voices.add(cols[3]!.toLowerCase());
    const file = cols[4]!.toLowerCase();
    voices.add(file);
    voices.add(file.slice(file.lastIndexOf('/') + 1));
  }
  const variants = new Set<string>();
  for (const cols of listColumns(['--voices=variant'])) {
    const file = cols[4]!;
    if (file.startsWith('!v/')) variants.add(file.slice(3));
  }
  catalog = { voices, variants };
  return catalog;
}

/** Whether `voice` (optionally `voice+variant`) names something espeak-ng has. */
export function isKnownEspeakVoice(voice: string, known: EspeakCatalog = espeakCatalog()): boolean {
  const [base, variant, ...rest] = voice.split('+');
  if (!base || rest.length > 0 || !/^[\w./()-]+$/.test(base)) return false;
  if (!known.voices.has(base.toLowerCase())) return false;
  return variant === undefined || known.variants.has(variant);
}

/**
 * The espeak-ng voice to speak with: an explicit voice from the caller's preferences when espeak-ng
 * knows it (a cloud voice id such as `alloy` is not), else the voice for their language, else US
 * English.
 */
export function resolveEspeakVoice(
  voice: string | null,
  language: string,
  known: EspeakCatalog = espeakCatalog(),
): string {
  if (voice && isKnownEspeakVoice(voice, known)) return voice;
  const base = language.toLowerCase().split(/[-_]/)[0] ?? '';
  return ESPEAK_LANGUAGE_VOICES[base] ?? ESPEAK_FALLBACK_VOICE;
}
