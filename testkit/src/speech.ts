// Spoken test material, in one place for every test and benchmark: Debian's espeak-ng or flite
// renders text, sox resamples it to mono 16-bit at the rate the consumer wants (16 kHz for STT
// plugins, 48 kHz for rtc-node and Chromium's fake microphone), optionally padded with silence.
// Files are cached by content in the OS temp folder. Plus the helpers that score what a
// recogniser heard (word error rate, word overlap) and measure levels.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AudioFrame } from '@livekit/rtc-node';
import { PcmFramer, parseWavHeader } from '@parley/agent/local-audio';

const run = promisify(execFile);

export interface SpeechWavOptions {
  /** espeak-ng (default; any language) or flite (voice slt: English only, better for recognisers). */
  voice?: 'espeak' | 'flite';
  /** espeak-ng voice/language, optionally with a variant, e.g. "en-us", "es", "en-us+klatt" (default "en-us"). */
  lang?: string;
  sampleRate?: 16000 | 48000;
  /** Seconds of silence before and after the speech (e.g. for Chromium's fake microphone). */
  leadSilenceS?: number;
  tailSilenceS?: number;
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
  const pad = [options.leadSilenceS ?? 0, options.tailSilenceS ?? 0];
  if (!/^[a-z]{2,3}(-[a-z0-9]+)*(\+[a-z0-9]+)?$/i.test(lang)) throw new Error(`invalid espeak-ng voice: ${lang}`);
  const key = createHash('sha256')
    .update(JSON.stringify(['v2', voice, lang, sampleRate, pad, text]))
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
      // -D: no dither, so the same text always gives the same samples (sox dithers randomly).
      const convert = ['-D', raw, '-r', String(sampleRate), '-c', '1', '-b', '16', '-e', 'signed-integer', out];
      if (pad[0] || pad[1]) convert.push('pad', String(pad[0]), String(pad[1]));
      await run('/usr/bin/sox', convert);
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

/** 10 ms frames, as LiveKit delivers a remote track to the VAD and STT. */
export function toFrames(pcm: Int16Array, sampleRate: number): AudioFrame[] {
  const framer = new PcmFramer(sampleRate, sampleRate / 100);
  const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  return [...framer.write(bytes), ...framer.flush()];
}

/** Lower-case words without punctuation; digits are left as they are. */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9'\s]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Word error rate: word-level Levenshtein distance over the reference length. */
export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const ref = words(reference);
  const hyp = words(hypothesis);
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const cur = [i];
    for (let j = 1; j <= hyp.length; j++) {
      const sub = prev[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1));
    }
    prev = cur;
  }
  return { errors: prev[hyp.length]!, words: ref.length };
}

/** Share of the reference's words that appear in the hypothesis (order ignored). */
export function wordOverlap(reference: string, hypothesis: string): number {
  const ref = words(reference);
  const hyp = new Set(words(hypothesis));
  return ref.length ? ref.filter((w) => hyp.has(w)).length / ref.length : 0;
}

/** RMS level in dBFS of a PCM buffer (-Infinity for digital silence). */
export function rmsDbfs(pcm: Int16Array): number {
  if (pcm.length === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += (pcm[i]! / 32768) ** 2;
  return 10 * Math.log10(sum / pcm.length);
}

/** Sample magnitude (of 32768) from which audio counts as speech: the caller's and the benchmarks' one definition. */
export const VOICED_SAMPLE = 500;

/**
 * Where the speech is in a PCM buffer: from its first sample at or above `threshold` to the end
 * of its last, in ms from the buffer's start (null when no sample is).
 */
export function voicedSpan(
  pcm: Int16Array,
  sampleRate: number,
  threshold = VOICED_SAMPLE,
): { startMs: number; endMs: number } | null {
  const first = pcm.findIndex((s) => Math.abs(s) >= threshold);
  if (first < 0) return null;
  let last = pcm.length - 1;
  while (Math.abs(pcm[last]!) < threshold) last--;
  return { startMs: (first / sampleRate) * 1000, endMs: ((last + 1) / sampleRate) * 1000 };
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 44;
  } catch {
    return false;
  }
}
