/**
 * The three local providers in a real AgentSession (no LiveKit room): caller audio in, VAD turn
 * detection, PocketSphinx transcript, the offline echo, espeak-ng audio out.
 */
import { ReadableStream, type ReadableStreamDefaultController } from 'node:stream/web';
import { initializeLogger, voice } from '@livekit/agents';
import { VAD } from '@livekit/agents-plugin-silero';
import type { AudioFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { createLocalStt, createLocalTts, createOfflineLlm } from './index.js';
import { rmsDbfs, synthesizeSpeechWav, toFrames, wordOverlap } from '@parley/testkit/speech';

class PushAudioInput extends voice.AudioInput {
  readonly #controller: ReadableStreamDefaultController<AudioFrame>;

  constructor() {
    super();
    let controller!: ReadableStreamDefaultController<AudioFrame>;
    this.multiStream.addInputStream(new ReadableStream<AudioFrame>({ start: (c) => void (controller = c) }));
    this.#controller = controller;
  }

  push(frames: AudioFrame[]): void {
    for (const f of frames) this.#controller.enqueue(f);
  }
}

/** Records what the agent says; "plays" each segment instantly. */
class RecordingAudioOutput extends voice.AudioOutput {
  readonly frames: AudioFrame[] = [];
  #segmentSeconds = 0;

  constructor() {
    super(24_000);
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    if (this.#segmentSeconds === 0) this.onPlaybackStarted(Date.now());
    await super.captureFrame(frame);
    this.frames.push(frame);
    this.#segmentSeconds += frame.samplesPerChannel / frame.sampleRate;
  }

  override flush(): void {
    super.flush();
    const played = this.#segmentSeconds;
    this.#segmentSeconds = 0;
    this.onPlaybackFinished({ playbackPosition: played, interrupted: false });
  }

  clearBuffer(): void {
    if (this.#segmentSeconds === 0) return;
    const played = this.#segmentSeconds;
    this.#segmentSeconds = 0;
    this.onPlaybackFinished({ playbackPosition: played, interrupted: true });
  }
}

describe('local providers in an AgentSession', () => {
  initializeLogger({ pretty: false, level: 'warn' });

  it('hears a spoken sentence and answers aloud with the echo', async () => {
    const sentence = 'Turn off the lights in the kitchen.';
    const stt = createLocalStt({ language: 'en' });
    const session = new voice.AgentSession({
      stt,
      llm: createOfflineLlm({ language: 'en' }),
      tts: createLocalTts({ voice: null, language: 'en' }),
      vad: await VAD.load(),
      turnHandling: { turnDetection: 'vad', interruption: { mode: 'vad', resumeFalseInterruption: false } },
    });
    const input = new PushAudioInput();
    const output = new RecordingAudioOutput();
    session.input.audio = input;
    session.output.audio = output;
    const finals: string[] = [];
    session.on(voice.AgentSessionEventTypes.UserInputTranscribed, (ev) => {
      if (ev.isFinal) finals.push(ev.transcript);
    });
    const replies: string[] = [];
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
      if (ev.item.type === 'message' && ev.item.role === 'assistant') replies.push(ev.item.textContent ?? '');
    });
    try {
      await session.start({ agent: new voice.Agent({ instructions: 'You are a helpful assistant.' }) });
      const { pcm, sampleRate } = await synthesizeSpeechWav(sentence, { voice: 'flite', sampleRate: 48_000 });
      const silence = new Int16Array(sampleRate / 2);
      input.push(toFrames(silence, sampleRate));
      input.push(toFrames(pcm, sampleRate));
      // Trailing silence, paced, so the VAD closes the turn on wall-clock time as in a call.
      for (let i = 0; i < 30; i++) {
        input.push(toFrames(new Int16Array(sampleRate / 10), sampleRate));
        await new Promise((r) => setTimeout(r, 100));
      }
      await expect.poll(() => replies.length, { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);

      expect(finals).toHaveLength(1);
      expect(wordOverlap(sentence, finals[0]!), finals[0]).toBeGreaterThanOrEqual(0.6);
      expect(replies[0]).toBe(`No language model is configured, so I can only repeat what I heard: ${finals[0]}.`);
      const spoken = output.frames.reduce((n, f) => n + f.samplesPerChannel, 0);
      expect(spoken / 24_000).toBeGreaterThan(3);
      expect(output.frames.every((f) => f.sampleRate === 24_000)).toBe(true);
      const pcmOut = new Int16Array(spoken);
      let o = 0;
      for (const f of output.frames) {
        pcmOut.set(f.data.subarray(0, f.samplesPerChannel), o);
        o += f.samplesPerChannel;
      }
      expect(rmsDbfs(pcmOut)).toBeGreaterThan(-35);
    } finally {
      await session.close();
      await stt.close();
    }
  });
});
