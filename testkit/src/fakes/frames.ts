import { AudioFrame } from '@livekit/rtc-node';

/**
 * Splits mono PCM16 into `frameMs` AudioFrames (10 ms by default, like rtc-node), optionally
 * padded with silence before and after (for VAD / endpointing tests).
 */
export function pcmToFrames(
  pcm: Int16Array,
  sampleRate: number,
  options: { frameMs?: number; leadSilenceMs?: number; tailSilenceMs?: number } = {},
): AudioFrame[] {
  const perFrame = Math.round((sampleRate * (options.frameMs ?? 10)) / 1000);
  const lead = Math.round((sampleRate * (options.leadSilenceMs ?? 0)) / 1000);
  const tail = Math.round((sampleRate * (options.tailSilenceMs ?? 0)) / 1000);
  const all = new Int16Array(lead + pcm.length + tail);
  all.set(pcm, lead);
  const frames: AudioFrame[] = [];
  for (let i = 0; i < all.length; i += perFrame) {
    const data = new Int16Array(perFrame);
    data.set(all.subarray(i, i + perFrame));
    frames.push(new AudioFrame(data, sampleRate, 1, perFrame));
  }
  return frames;
}
