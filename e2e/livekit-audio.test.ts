import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '@livekit/rtc-node';
import { startLivekitServer, type RunningLivekitServer } from '@parley/tools';
import {
  AudioStream,
  connectParticipant,
  participantToken,
  publishAudio,
  waitForRemoteAudioTrack,
} from '@parley/testkit/livekit';

describe('local LiveKit server carries audio between two participants', () => {
  let lk: RunningLivekitServer;
  const rooms: Room[] = [];
  beforeAll(async () => {
    lk = await startLivekitServer();
  });
  afterAll(async () => {
    for (const r of rooms) await r.disconnect();
    await lk.stop();
  });

  it('frames published by one participant arrive at the other', async () => {
    const alice = await connectParticipant(lk.url, await participantToken(lk, 'alice', 'audio-room'));
    const bob = await connectParticipant(lk.url, await participantToken(lk, 'bob', 'audio-room'));
    rooms.push(alice, bob);
    const mic = await publishAudio(alice);
    const track = await waitForRemoteAudioTrack(bob, (id) => id === 'alice');

    // One second of a 440 Hz tone at 48 kHz.
    const tone = new Int16Array(48000);
    for (let i = 0; i < tone.length; i++) tone[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48000));

    const stream = new AudioStream(track, { sampleRate: 48000, numChannels: 1 });
    let frames = 0;
    let samples = 0;
    let voicedSamples = 0;
    const reading = (async () => {
      for await (const frame of stream) {
        frames++;
        samples += frame.samplesPerChannel;
        for (const s of frame.data) if (Math.abs(s) > 2000) voicedSamples++;
        if (voicedSamples > 24000) break;
      }
    })();
    await mic.play(tone);
    await Promise.race([reading, new Promise((r) => setTimeout(r, 5000))]);

    expect(frames).toBeGreaterThan(50);
    expect(samples).toBe(frames * 480);
    // Most of the tone's 48 000 samples arrive voiced (Opus keeps a pure tone's amplitude).
    expect(voicedSamples).toBeGreaterThan(24000);
  });

  // Parley's agent asks for its caller's audio in AGENT_INPUT_FRAME_MS frames (agents' room input,
  // patched to pass rtc-node's frameSizeMs): the native stream must honour the size.
  it.each([10, 20, 40])('an AudioStream asked for %i ms frames at 16 kHz yields frames of that length', async (ms) => {
    const room = `frames-${ms}`;
    const alice = await connectParticipant(lk.url, await participantToken(lk, 'alice', room));
    const bob = await connectParticipant(lk.url, await participantToken(lk, 'bob', room));
    rooms.push(alice, bob);
    const mic = await publishAudio(alice);
    const track = await waitForRemoteAudioTrack(bob, (id) => id === 'alice');
    const stream = new AudioStream(track, { sampleRate: 16000, numChannels: 1, frameSizeMs: ms });
    const sizes: number[] = [];
    const reading = (async () => {
      for await (const frame of stream) {
        sizes.push(frame.samplesPerChannel);
        if (sizes.length >= 20) break;
      }
    })();
    await mic.play(new Int16Array(48000).fill(4000));
    await Promise.race([reading, new Promise((r) => setTimeout(r, 5000))]);

    expect(sizes.length).toBe(20);
    expect(new Set(sizes)).toEqual(new Set([(16000 * ms) / 1000]));
  });
});
