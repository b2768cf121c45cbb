import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the local speech engines live. Debian's packages put them on PATH and the PocketSphinx
 * model under /usr/share; each can be overridden for other layouts (Homebrew, a custom model).
 */
export interface PocketSphinxModel {
  /** Acoustic model folder (-hmm). */
  hmm: string;
  /** Language model (-lm). */
  lm: string;
  /** Pronunciation dictionary (-dict). */
  dict: string;
}

const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

type Env = Record<string, string | undefined>;

export function pocketSphinxBinary(env: Env = process.env): string {
  return env.PARLEY_POCKETSPHINX_BIN ?? 'pocketsphinx_continuous';
}

export function espeakBinary(env: Env = process.env): string {
  return env.PARLEY_ESPEAK_BIN ?? 'espeak-ng';
}

export function pocketSphinxModel(env: Env = process.env): PocketSphinxModel {
  const dir = env.PARLEY_POCKETSPHINX_MODEL_DIR ?? DEFAULT_MODEL_DIR;
  return {
    hmm: join(dir, 'en-us'),
    lm: join(dir, 'en-us.lm.bin'),
    dict: join(dir, 'cmudict-en-us.dict'),
  };
}

/** True when `bin` can be executed (found on PATH or by path). */
function runs(bin: string, args: string[]): boolean {
  const res = spawnSync(bin, args, { stdio: 'ignore', timeout: 5_000 });
  return res.error === undefined;
}

export interface LocalSpeechAvailability {
  stt: boolean;
  tts: boolean;
  /** What is missing and the Debian package that provides it. */
  detail?: string;
}

/** Looks for the engines now (a few ms: runs each binary once). */
export function probeLocalSpeech(env: Env = process.env): LocalSpeechAvailability {
  const missing: string[] = [];
  const model = pocketSphinxModel(env);
  const sttBinary = runs(pocketSphinxBinary(env), ['-h']);
  if (!sttBinary) missing.push(`${pocketSphinxBinary(env)} not found (apt-get install pocketsphinx)`);
  const modelFiles = [model.hmm, model.lm, model.dict].every((p) => existsSync(p));
  if (!modelFiles) missing.push(`PocketSphinx model missing under ${model.hmm} (apt-get install pocketsphinx-en-us)`);
  const tts = runs(espeakBinary(env), ['--version']);
  if (!tts) missing.push(`${espeakBinary(env)} not found (apt-get install espeak-ng)`);
  return {
    stt: sttBinary && modelFiles,
    tts,
    ...(missing.length ? { detail: missing.join('; ') } : {}),
  };
}

let cached: LocalSpeechAvailability | undefined;

/**
 * Whether the local engines are installed: the PocketSphinx CLI with its US English model, and
 * espeak-ng. Probed once per process; `detail` names what is missing and how to get it.
 */
export function localSpeechAvailable(): LocalSpeechAvailability {
  cached ??= probeLocalSpeech();
  return cached;
}
