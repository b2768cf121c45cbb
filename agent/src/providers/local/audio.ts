import { AudioFrame, AudioResampler } from '@livekit/rtc-node';

/** Joins frames into one mono Int16 buffer (channels averaged) at the frames' own rate. */
export function toMono(frames: AudioFrame[]): {
  pcm: Int16Array;
  sampleRate: number;
} {
  const first = frames[0];
  if (!first) return { pcm: new Int16Array(0), sampleRate: 16_000 };
  const sampleRate = first.sampleRate;
  const total = frames.reduce((n, f) => n + f.samplesPerChannel, 0);
  const pcm = new Int16Array(total);
  let offset = 0;
  for (const frame of frames) {
    if (frame.sampleRate !== sampleRate) throw new TypeError('frames differ in sample rate');
    const { data, channels, samplesPerChannel } = frame;
    if (channels === 1) {
      pcm.set(data.subarray(0, samplesPerChannel), offset);
    } else {
      for (let i = 0; i < samplesPerChannel; i++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += data[i * channels + c]!;
        pcm[offset + i] = Math.round(sum / channels);
      }
    }
    offset += samplesPerChannel;
  }
  return { pcm, sampleRate };
}

/** Resamples mono PCM with the same SoX resampler LiveKit uses for its own audio paths. */
export function resampleMono(pcm: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate || pcm.length === 0) return pcm;
  const resampler = new AudioResampler(fromRate, toRate, 1);
  try {
    const out = [...resampler.push(new AudioFrame(pcm, fromRate, 1, pcm.length)), ...resampler.flush()];
    return toMono(out).pcm;
  } finally {
    resampler.close();
  }
}

/**
 * Raises quiet speech so the peak sits near -3 dBFS (a browser microphone with automatic gain off
 * can arrive 20 dB down). Loud audio is left untouched.
 */
export function normalizePeak(pcm: Int16Array): Int16Array {
  let peak = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = Math.abs(pcm[i]!);
    if (v > peak) peak = v;
  }
  const target = 0.7 * 32767;
  if (peak === 0 || peak >= target / 2) return pcm;
  const gain = Math.min(target / peak, 30);
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(pcm[i]! * gain)));
  return out;
}

/** Reads a RIFF/WAVE header (espeak-ng writes 0x7fffffff sizes when streaming to stdout). */
export function parseWavHeader(buf: Buffer): { sampleRate: number; channels: number; dataOffset: number } | null {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') return null;
  let offset = 12;
  let sampleRate = 0;
  let channels = 0;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      if (offset + 16 > buf.length) return null;
      const format = buf.readUInt16LE(offset + 8);
      const bits = buf.readUInt16LE(offset + 22);
      if (format !== 1 || bits !== 16) throw new Error(`unsupported WAV format ${format}/${bits}-bit`);
      channels = buf.readUInt16LE(offset + 10);
      sampleRate = buf.readUInt32LE(offset + 12);
    } else if (id === 'data') {
      if (!sampleRate) throw new Error('WAV data chunk before fmt chunk');
      return { sampleRate, channels, dataOffset: offset + 8 };
    }
    offset += 8 + size + (size % 2);
  }
  return null;
}

/** Cuts a stream of s16le mono bytes into fixed-size AudioFrames (any chunking, odd bytes kept). */
export class PcmFramer {
  readonly #sampleRate: number;
  readonly #frameBytes: number;
  #rest: Buffer = Buffer.alloc(0);

  constructor(sampleRate: number, samplesPerFrame: number) {
    this.#sampleRate = sampleRate;
    this.#frameBytes = samplesPerFrame * 2;
  }

  write(chunk: Buffer): AudioFrame[] {
    const buf = this.#rest.length ? Buffer.concat([this.#rest, chunk]) : chunk;
    const frames: AudioFrame[] = [];
    let offset = 0;
    for (; offset + this.#frameBytes <= buf.length; offset += this.#frameBytes) {
      frames.push(this.#frame(buf.subarray(offset, offset + this.#frameBytes)));
    }
    this.#rest = Buffer.from(buf.subarray(offset));
    return frames;
  }

  /** The last partial frame, if any (a trailing odd byte is dropped). */
  flush(): AudioFrame[] {
    const usable = this.#rest.length - (this.#rest.length % 2);
    const out = usable ? [this.#frame(this.#rest.subarray(0, usable))] : [];
    this.#rest = Buffer.alloc(0);
    return out;
  }

  #frame(bytes: Buffer): AudioFrame {
    const samples = new Int16Array(bytes.length / 2);
    Buffer.from(samples.buffer).set(bytes);
    return new AudioFrame(samples, this.#sampleRate, 1, samples.length);
  }
}
