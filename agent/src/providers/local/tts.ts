import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import {
  APIConnectionError,
  type APIConnectOptions,
  DEFAULT_API_CONNECT_OPTIONS,
  shortuuid,
  tokenize,
  tts,
} from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { AudioResampler } from '@livekit/rtc-node';
import { PcmFramer, parseWavHeader } from './audio.js';
import { espeakBinary } from './engines.js';
import { resolveEspeakVoice } from './voices.js';

/** espeak-ng's native rate; frames are emitted at this rate and LiveKit resamples for the room. */
export const ESPEAK_SAMPLE_RATE = 22_050;
/** 20 ms frames, as LiveKit's own TTS plugins emit. */
const FRAME_SAMPLES = ESPEAK_SAMPLE_RATE / 50;

export interface LocalTtsOptions {
  /** An espeak-ng voice id (`en-us`, `en-us+f3`, `fr`); ignored when espeak-ng does not know it. */
  voice: string | null;
  /** Parley language code; picks the voice when none is given. */
  language: string;
  /** Words per minute (espeak-ng `-s`, default 175). */
  wordsPerMinute?: number;
}

/**
 * Offline speech synthesis with espeak-ng. Not streaming: AgentSession wraps it in
 * `tts.StreamAdapter`, which splits the reply into sentences and synthesizes each as the LLM writes.
 */
export class LocalTTS extends tts.TTS {
  label = 'local.EspeakNG';
  readonly voice: string;
  readonly #wordsPerMinute: number;

  constructor(opts: LocalTtsOptions) {
    super(ESPEAK_SAMPLE_RATE, 1, { streaming: false });
    this.voice = resolveEspeakVoice(opts.voice, opts.language);
    this.#wordsPerMinute = Math.round(Math.min(450, Math.max(80, opts.wordsPerMinute ?? 175)));
  }

  override get model(): string {
    return 'espeak-ng';
  }

  override get provider(): string {
    return 'local';
  }

  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): LocalChunkedStream {
    return new LocalChunkedStream(this, text, this.voice, this.#wordsPerMinute, connOptions, abortSignal);
  }

  /** Sentence-by-sentence streaming through LiveKit's adapter, for callers outside AgentSession. */
  stream(options?: { connOptions?: APIConnectOptions }): tts.SynthesizeStream {
    return new tts.StreamAdapter(this, new tokenize.basic.SentenceTokenizer()).stream(options);
  }
}

/** One espeak-ng process per text; aborting the stream (barge-in) kills it. */
export class LocalChunkedStream extends tts.ChunkedStream {
  label = 'local.EspeakNG.ChunkedStream';
  readonly #voice: string;
  readonly #wordsPerMinute: number;
  #child: ChildProcessWithoutNullStreams | undefined;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    ttsInstance: LocalTTS,
    text: string,
    voice: string,
    wordsPerMinute: number,
    connOptions: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
    abortSignal?: AbortSignal,
  ) {
    super(text, ttsInstance, connOptions, abortSignal);
    this.#voice = voice;
    this.#wordsPerMinute = wordsPerMinute;
  }

  /** The espeak-ng process id while (or after) it runs; for tests and diagnostics. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** How espeak-ng ended (`signal: 'SIGKILL'` after an abort); undefined while it runs. */
  get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.#exit;
  }

  protected async run(): Promise<void> {
    const requestId = shortuuid('local_tts_');
    const signal = this.abortSignal;
    if (signal.aborted) return;
    const child = spawn(
      espeakBinary(),
      ['-v', this.#voice, '-s', String(this.#wordsPerMinute), '--stdout', '--stdin'],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.#child = child;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    signal.addEventListener('abort', kill, { once: true });
    child.stdin.on('error', () => undefined);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 2_000) stderr += d;
    });
    const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, error }));
      child.once('close', (code, sig) => {
        this.#exit = { code, signal: sig };
        resolve({ code });
      });
    });
    child.stdin.end(this.inputText);

    let pending: tts.SynthesizedAudio | undefined;
    const emit = (frame: AudioFrame) => {
      if (pending && !this.queue.closed) this.queue.put(pending);
      pending = { requestId, segmentId: requestId, frame, final: false };
    };

    let header: Buffer | null = Buffer.alloc(0);
    let bytes: PcmFramer | undefined;
    let resampler: AudioResampler | undefined;
    const pushPcm = (pcm: Buffer) => {
      if (!bytes) return;
      for (const frame of bytes.write(pcm)) {
        if (resampler) for (const f of resampler.push(frame)) emit(f);
        else emit(frame);
      }
    };
    try {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        if (signal.aborted) break;
        if (header) {
          header = Buffer.concat([header, chunk]);
          const wav = parseWavHeader(header);
          if (!wav) {
            if (header.length > 4_096) throw new Error('espeak-ng produced no WAV header');
            continue;
          }
          if (wav.channels !== 1) throw new Error(`espeak-ng produced ${wav.channels} channels`);
          if (wav.sampleRate !== ESPEAK_SAMPLE_RATE)
            resampler = new AudioResampler(wav.sampleRate, ESPEAK_SAMPLE_RATE, 1);
          bytes = new PcmFramer(wav.sampleRate, Math.round(wav.sampleRate / 50));
          const rest = header.subarray(wav.dataOffset);
          header = null;
          pushPcm(rest);
        } else {
          pushPcm(chunk);
        }
      }
      const exit = await exited;
      if (signal.aborted) return;
      if (exit.error || exit.code !== 0) {
        throw new APIConnectionError({
          message: `espeak-ng failed (${exit.error?.message ?? `exit ${exit.code}`}): ${stderr.trim().slice(0, 200)}`,
          options: { retryable: false },
        });
      }
      if (bytes) for (const frame of bytes.flush()) emit(frame);
      if (resampler) for (const f of resampler.flush()) emit(f);
      if (pending && !this.queue.closed) this.queue.put({ ...pending, final: true });
      pending = undefined;
    } finally {
      signal.removeEventListener('abort', kill);
      kill();
      resampler?.close();
      if (!this.queue.closed) this.queue.close();
    }
  }
}

/** Frame size the stream emits, exported for tests. */
export const LOCAL_TTS_FRAME_SAMPLES = FRAME_SAMPLES;
