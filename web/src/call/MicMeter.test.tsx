import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { meterLevel, MicMeter } from './MicMeter';

// The local participant as LiveKit's hook reports it; the test swaps its track and mute state.
const lp = vi.hoisted(() => ({
  current: { microphoneTrack: undefined as unknown, isMicrophoneEnabled: true },
}));
vi.mock('@livekit/components-react', () => ({ useLocalParticipant: () => lp.current }));

/** WebAudio as far as the meter uses it: the analyser hands out whatever signal the source's track "plays". */
const audio = vi.hoisted(() => ({ amplitudeOf: new Map<unknown, number>(), sources: [] as unknown[], closed: 0 }));
class FakeAudioContext {
  private playing: unknown = null;
  resume = async () => undefined;
  close = async () => void audio.closed++;
  createAnalyser() {
    return {
      fftSize: 0,
      getFloatTimeDomainData: (buf: Float32Array) => {
        const a = audio.amplitudeOf.get(this.playing) ?? 0;
        for (let i = 0; i < buf.length; i++) buf[i] = a * Math.sin((2 * Math.PI * 440 * i) / 48000);
      },
    };
  }
  createMediaStreamSource(stream: { track: unknown }) {
    audio.sources.push(stream.track);
    return { connect: () => void (this.playing = stream.track), disconnect: () => void (this.playing = null) };
  }
}
class FakeMediaStream {
  constructor(readonly tracks: unknown[]) {}
  get track() {
    return this.tracks[0];
  }
}

const meter = () => Number(screen.getByRole('meter', { name: 'Your microphone level' }).getAttribute('aria-valuenow'));

describe('MicMeter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal('AudioContext', FakeAudioContext);
    vi.stubGlobal('MediaStream', FakeMediaStream);
    audio.amplitudeOf.clear();
    audio.sources.length = 0;
    audio.closed = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('maps RMS to 0–100 over 60 dB', () => {
    expect(meterLevel(new Float32Array(512))).toBe(0);
    expect(meterLevel(new Float32Array(512).fill(1))).toBe(100);
    expect(meterLevel(new Float32Array(512).fill(0.001))).toBe(0); // -60 dBFS
    expect(meterLevel(new Float32Array(512).fill(0.1))).toBe(67); // -20 dBFS
  });

  it('follows the published microphone: silent, speaking, another device picked, muted', () => {
    const first = { id: 'silent-mic' };
    const second = { id: 'speaking-mic' };
    const published = { mediaStreamTrack: first as unknown };
    audio.amplitudeOf.set(first, 0);
    audio.amplitudeOf.set(second, 0.3);
    lp.current = { microphoneTrack: { track: published }, isMicrophoneEnabled: true };
    const { rerender } = render(<MicMeter />);
    act(() => void vi.advanceTimersByTime(400));
    expect(meter()).toBe(0);

    // Another microphone: LiveKit replaces the track's MediaStreamTrack; the meter follows it.
    published.mediaStreamTrack = second;
    act(() => void vi.advanceTimersByTime(200));
    expect(meter()).toBeGreaterThan(70); // a 0.3 sine: -13.5 dBFS → 77
    expect(audio.sources).toEqual([first, second]);

    // Silence again: the level falls back to 0 over a few ticks, not at once.
    audio.amplitudeOf.set(second, 0);
    act(() => void vi.advanceTimersByTime(80));
    const falling = meter();
    expect(falling).toBeGreaterThan(0);
    act(() => void vi.advanceTimersByTime(2000));
    expect(meter()).toBe(0);

    // Muted: 0, and the audio graph is closed.
    audio.amplitudeOf.set(second, 0.3);
    lp.current = { microphoneTrack: { track: published }, isMicrophoneEnabled: false };
    rerender(<MicMeter />);
    act(() => void vi.advanceTimersByTime(400));
    expect(meter()).toBe(0);
    expect(audio.closed).toBe(1);
  });
});
