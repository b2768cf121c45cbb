// Speech-like PCM for the TTS fakes: a voiced source (a fundamental with a few harmonics and a
// slow pitch glide) shaped by one amplitude envelope per word, with short gaps between words.
// It is not intelligible, but it has the energy, pitch and pauses that VADs, energy filters and
// level meters react to the way they react to speech.

export interface VoiceSignalOptions {
  sampleRate: number;
  /** Total duration in milliseconds. */
  durationMs: number;
  /** Number of word-like bursts inside that duration (at least 1). */
  words: number;
  /** Peak amplitude as a fraction of full scale (default 0.35). */
  peak?: number;
  /** Fundamental frequency in Hz (default 150). */
  f0?: number;
}

const HARMONICS = [1, 0.6, 0.45, 0.3, 0.2, 0.12];

/** Mono s16le samples that sound like (unintelligible) voiced speech. */
export function voiceSignal(options: VoiceSignalOptions): Int16Array {
  const { sampleRate } = options;
  const total = Math.max(0, Math.round((options.durationMs / 1000) * sampleRate));
  const out = new Int16Array(total);
  if (total === 0) return out;
  const words = Math.max(1, Math.floor(options.words));
  const peak = options.peak ?? 0.35;
  const f0 = options.f0 ?? 150;
  const norm = HARMONICS.reduce((a, b) => a + b, 0);
  const slot = total / words;
  const gap = Math.min(Math.round(0.06 * sampleRate), Math.floor(slot * 0.2));
  const attack = Math.max(1, Math.round(0.02 * sampleRate));
  let phase = 0;
  for (let i = 0; i < total; i++) {
    const t = i / sampleRate;
    // Declining intonation over the whole utterance plus a little vibrato.
    const freq = f0 * (1.1 - 0.2 * (i / total)) * (1 + 0.02 * Math.sin(2 * Math.PI * 5 * t));
    phase += (2 * Math.PI * freq) / sampleRate;
    const posInWord = i % Math.max(1, Math.round(slot));
    const voicedLen = Math.max(1, Math.round(slot) - gap);
    let env = 0;
    if (posInWord < voicedLen) {
      const rise = Math.min(1, posInWord / attack);
      const fall = Math.min(1, (voicedLen - posInWord) / attack);
      // A syllable-ish swell inside each word.
      const swell = 0.75 + 0.25 * Math.sin((Math.PI * posInWord) / voicedLen);
      env = Math.min(rise, fall) * swell;
    }
    let s = 0;
    for (let h = 0; h < HARMONICS.length; h++) s += HARMONICS[h]! * Math.sin((h + 1) * phase);
    out[i] = Math.round((s / norm) * env * peak * 32767);
  }
  return out;
}

/** Root-mean-square level of PCM16 samples as a fraction of full scale (0..1). */
export function rmsLevel(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]! / 32768;
    sum += v * v;
  }
  return Math.sqrt(sum / samples.length);
}

/** Int16 view over a Node buffer holding little-endian PCM16 (copied when unaligned). */
export function pcm16View(buf: Buffer): Int16Array {
  const n = Math.floor(buf.byteLength / 2);
  if (buf.byteOffset % 2 === 0) return new Int16Array(buf.buffer, buf.byteOffset, n);
  const copy = new Int16Array(n);
  for (let i = 0; i < n; i++) copy[i] = buf.readInt16LE(i * 2);
  return copy;
}

/** Bytes of an Int16Array as a Buffer (no copy). */
export function pcm16Bytes(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}
