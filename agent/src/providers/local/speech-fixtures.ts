/**
 * Spoken test material made on the spot with flite and espeak-ng (Debian packages), plus helpers
 * to score transcripts. Used by the tests and by measure.ts; not part of the runtime path.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AudioFrame } from '@livekit/rtc-node';
import { PcmFramer, parseWavHeader } from './audio.js';

const run = promisify(execFile);

export type Speaker = 'flite-slt' | 'espeak-ng';

/** Speaks `text` into a mono 16-bit WAV at `sampleRate` and returns its PCM. */
export async function speak(
  text: string,
  speaker: Speaker,
  sampleRate = 48_000,
): Promise<{ pcm: Int16Array; sampleRate: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-speech-'));
  try {
    const raw = join(dir, 'raw.wav');
    const out = join(dir, 'out.wav');
    if (speaker === 'flite-slt') await run('flite', ['-voice', 'slt', '-t', text, '-o', raw]);
    else await run('espeak-ng', ['-v', 'en-us', '-w', raw, text]);
    // -D: no dither, so the same text always gives the same samples (sox dithers randomly).
    await run('sox', ['-D', raw, '-r', String(sampleRate), '-c', '1', '-b', '16', out]);
    return readWav(await readFile(out));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function readWav(buf: Buffer): { pcm: Int16Array; sampleRate: number } {
  const wav = parseWavHeader(buf);
  if (!wav || wav.channels !== 1) throw new Error('expected a mono 16-bit WAV');
  const data = buf.subarray(wav.dataOffset);
  const pcm = new Int16Array(Math.floor(data.length / 2));
  Buffer.from(pcm.buffer).set(data.subarray(0, pcm.length * 2));
  return { pcm, sampleRate: wav.sampleRate };
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
