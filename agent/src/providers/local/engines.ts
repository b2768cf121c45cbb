import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MissingSpeechEngine, SpeechEngineProblems } from '@parley/protocol';

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

/** One thing a local engine needs: a binary that runs, or model files on disk. */
interface EngineCheck {
  kind: 'stt' | 'tts';
  run?: { bin: string; args: string[] };
  files?: string[];
  /** What is missing and the Debian package that provides it, as data (the page words it). */
  missing: MissingSpeechEngine;
}

function engineChecks(env: Env): EngineCheck[] {
  const model = pocketSphinxModel(env);
  return [
    {
      kind: 'stt',
      run: { bin: pocketSphinxBinary(env), args: ['-h'] },
      missing: { stage: 'stt', missing: 'program', name: pocketSphinxBinary(env), package: 'pocketsphinx' },
    },
    {
      kind: 'stt',
      files: [model.hmm, model.lm, model.dict],
      missing: { stage: 'stt', missing: 'model', name: model.hmm, package: 'pocketsphinx-en-us' },
    },
    {
      kind: 'tts',
      run: { bin: espeakBinary(env), args: ['--version'] },
      missing: { stage: 'tts', missing: 'program', name: espeakBinary(env), package: 'espeak-ng' },
    },
  ];
}

/** The operator's sentence (logs, readiness): "espeak-ng not found (apt-get install espeak-ng)". */
const problem = ({ missing, name, package: pkg }: MissingSpeechEngine) =>
  missing === 'program'
    ? `${name} not found (apt-get install ${pkg})`
    : `PocketSphinx model missing under ${name} (apt-get install ${pkg})`;

/** Per kind, the problems of the checks that failed, joined, and each as data. */
function collect(checks: EngineCheck[], failed: boolean[]): SpeechEngineProblems {
  const out: SpeechEngineProblems = {};
  checks.forEach((c, i) => {
    if (!failed[i]) return;
    out[c.kind] = out[c.kind] ? `${out[c.kind]}; ${problem(c.missing)}` : problem(c.missing);
    (out.missing ??= []).push(c.missing);
  });
  return out;
}

const filesMissing = (c: EngineCheck) => (c.files ?? []).some((p) => !existsSync(p));

export interface LocalSpeechAvailability {
  stt: boolean;
  tts: boolean;
  /** What is missing and the Debian package that provides it. */
  detail?: string;
}

/** Looks for the engines now, synchronously (runs each binary once). */
export function probeLocalSpeech(env: Env = process.env): LocalSpeechAvailability {
  const checks = engineChecks(env);
  const p = collect(
    checks,
    checks.map((c) => filesMissing(c) || (c.run ? spawnSync(c.run.bin, c.run.args, RUN).error !== undefined : false)),
  );
  const detail = [p.stt, p.tts].filter(Boolean).join('; ');
  return { stt: !p.stt, tts: !p.tts, ...(detail ? { detail } : {}) };
}

const RUN = { stdio: 'ignore', timeout: 5_000 } as const;

/**
 * True when `bin` runs: found, loads (a missing shared library exits 127) and ends by itself within
 * the timeout. Its exit status otherwise does not matter (`pocketsphinx_continuous -h` exits 1).
 */
const runs = (bin: string, args: string[]) =>
  new Promise<boolean>((resolve) => {
    const child = spawn(bin, args, RUN);
    child.once('error', () => resolve(false));
    child.once('exit', (code, signal) => resolve(signal === null && code !== 126 && code !== 127));
  });

/**
 * The engines the configured providers need that are missing or cannot run, without blocking the
 * event loop; empty when every local provider can work (cloud providers need none).
 */
export async function speechEngineProblems(
  providers: { stt: string; tts: string },
  env: Env = process.env,
): Promise<SpeechEngineProblems> {
  const checks = engineChecks(env).filter((c) => providers[c.kind] === 'local');
  const failed = await Promise.all(
    checks.map(async (c) => filesMissing(c) || (c.run ? !(await runs(c.run.bin, c.run.args)) : false)),
  );
  return collect(checks, failed);
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
