// Real (synthetic) speech for tests: Debian's espeak-ng or flite renders text, sox resamples it to
// mono 16-bit at the rate the consumer wants (16 kHz for STT plugins, 48 kHz for rtc-node and
// Chromium's fake microphone). Files are cached by content in the OS temp folder.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseWavHeader } from '@parley/agent/local-audio';

const run = promisify(execFile);

export interface SpeechWavOptions {
  /** espeak-ng (default; any language) or flite (English only, better for recognisers). */
  voice?: 'espeak' | 'flite';
  /** espeak-ng voice/language, e.g. "en-us", "es", "fr" (default "en-us"). */
  lang?: string;
  sampleRate?: 16000 | 48000;
}

export interface SpeechWav {
  /** Mono 16-bit PCM WAV file (cached; do not delete it while others may use it). */
  path: string;
  pcm: Int16Array;
  sampleRate: number;
}

const CACHE_DIR = join(tmpdir(), 'parley-speech');

export async function synthesizeSpeechWav(text: string, options: SpeechWavOptions = {}): Promise<SpeechWav> {
  const voice = options.voice ?? 'espeak';
  const lang = options.lang ?? 'en-us';
  const sampleRate = options.sampleRate ?? 16000;
  if (!/^[a-z]{2,3}(-[a-z0-9-]+)?$/i.test(lang)) throw new Error(`invalid espeak-ng language: ${lang}`);
  const key = createHash('sha256')
    .update(JSON.stringify([voice, lang, sampleRate, text]))
    .digest('hex')
    .slice(0, 24);
  const path = join(CACHE_DIR, `${key}.wav`);
  if (!(await exists(path))) {
    await mkdir(CACHE_DIR, { recursive: true });
    const unique = `${key}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    const raw = join(CACHE_DIR, `${unique}.raw.wav`);
    const out = join(CACHE_DIR, `${unique}.wav`);
    try {
      if (voice === 'flite') await run('/usr/bin/flite', ['-voice', 'slt', '-t', text, '-o', raw]);
      else await run('/usr/bin/espeak-ng', ['-v', lang, '-w', raw, '--', text]);
      await run('/usr/bin/sox', [raw, '-r', String(sampleRate), '-c', '1', '-b', '16', '-e', 'signed-integer', out]);
      await rename(out, path); // atomic: concurrent test files never read a half-written file
    } finally {
      await rm(raw, { force: true });
      await rm(out, { force: true });
    }
  }
  const pcm = parseWavPcm16(await readFile(path));
  return { path, pcm: pcm.samples, sampleRate: pcm.sampleRate };
}

/** The samples and rate of a mono or multi-channel 16-bit PCM WAV (channels interleaved). */
export function parseWavPcm16(buf: Buffer): { samples: Int16Array; sampleRate: number; channels: number } {
  const header = parseWavHeader(buf);
  if (!header) throw new Error('not a 16-bit PCM WAV with a data chunk');
  const declared = buf.readUInt32LE(header.dataOffset - 4);
  const end = Math.min(buf.length, header.dataOffset + declared);
  const samples = new Int16Array(Math.floor((end - header.dataOffset) / 2));
  for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(header.dataOffset + i * 2);
  return { samples, sampleRate: header.sampleRate, channels: header.channels };
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 44;
  } catch {
    return false;
  }
}
