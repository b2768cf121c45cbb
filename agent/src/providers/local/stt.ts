import {
  APIConnectionError,
  type APIConnectOptions,
  type AudioBuffer,
  asLanguageCode,
  createTimedString,
  shortuuid,
  stt,
} from '@livekit/agents';
import { normalizePeak, resampleMono, toMono } from './audio.js';
import { SphinxProcess } from './sphinx.js';

/** PocketSphinx's acoustic model expects 16 kHz mono. */
export const SPHINX_SAMPLE_RATE = 16_000;
/** Silence around each utterance so the CLI's own voice activity detector opens and closes it. */
const LEAD_PAD_S = 0.25;
const TAIL_PAD_S = 0.5;

export interface LocalSttOptions {
  /** The caller's language (Parley code, e.g. "en"). Recognition is US English whatever it is. */
  language: string;
}

/**
 * Offline speech recognition with PocketSphinx (Debian's `pocketsphinx` + `pocketsphinx-en-us`).
 *
 * Not streaming: AgentSession (or `stt.StreamAdapter` with a VAD) cuts the caller's audio into
 * utterances and calls `recognize` once per utterance. One recogniser process is kept loaded and
 * waiting, so an utterance pays only for decoding, not for loading the model.
 */
export class LocalSTT extends stt.STT {
  label = 'local.PocketSphinx';
  readonly #language: string;
  #warm: SphinxProcess | undefined;
  #closed = false;

  constructor(opts: LocalSttOptions) {
    super({
      streaming: false,
      interimResults: false,
      alignedTranscript: false,
    });
    this.#language = opts.language;
    this.#warm = new SphinxProcess();
  }

  override get model(): string {
    return 'pocketsphinx-en-us';
  }

  override get provider(): string {
    return 'local';
  }

  /** Language the transcripts are tagged with (the caller's), though the model hears US English. */
  get language(): string {
    return this.#language;
  }

  #takeProcess(): SphinxProcess {
    const ready = this.#warm;
    this.#warm = undefined;
    if (ready?.alive) return ready;
    ready?.kill();
    return new SphinxProcess();
  }

  /** Loads the next recogniser once this utterance is decoded, so the two don't share the CPU. */
  #prepareNext(): void {
    if (!this.#closed && !this.#warm) this.#warm = new SphinxProcess();
  }

  protected async _recognize(buffer: AudioBuffer, abortSignal?: AbortSignal): Promise<stt.SpeechEvent> {
    if (this.#closed)
      throw new APIConnectionError({
        message: 'local STT is closed',
        options: { retryable: false },
      });
    const frames = Array.isArray(buffer) ? buffer : [buffer];
    const { pcm, sampleRate } = toMono(frames);
    const requestId = shortuuid('local_stt_');
    const language = asLanguageCode(this.#language);
    const duration = pcm.length / sampleRate;
    if (pcm.length === 0) return finalEvent(requestId, language, '', [], 0);

    const speech = normalizePeak(resampleMono(pcm, sampleRate, SPHINX_SAMPLE_RATE));
    const padded = new Int16Array(Math.round((LEAD_PAD_S + TAIL_PAD_S) * SPHINX_SAMPLE_RATE) + speech.length);
    padded.set(speech, Math.round(LEAD_PAD_S * SPHINX_SAMPLE_RATE));

    let result;
    try {
      result = await this.#takeProcess().decode(padded, abortSignal);
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw error;
      throw new APIConnectionError({
        message: `local STT failed: ${error instanceof Error ? error.message : String(error)}`,
        options: { retryable: false },
      });
    } finally {
      this.#prepareNext();
    }
    const words = result.words.map((w) =>
      createTimedString({
        text: w.word,
        startTime: Math.max(0, w.start - LEAD_PAD_S),
        endTime: Math.max(0, w.end - LEAD_PAD_S),
        confidence: w.confidence,
      }),
    );
    const confidence = result.words.length
      ? result.words.reduce((sum, w) => sum + w.confidence, 0) / result.words.length
      : 0;
    return finalEvent(requestId, language, result.text, words, confidence, duration);
  }

  stream(_options?: { connOptions?: APIConnectOptions }): stt.SpeechStream {
    throw new Error('local STT is not streaming: wrap it with stt.StreamAdapter and a VAD (AgentSession does this)');
  }

  override async close(): Promise<void> {
    this.#closed = true;
    const warm = this.#warm;
    this.#warm = undefined;
    if (warm) {
      warm.kill();
      await warm.exited();
    }
  }
}

function finalEvent(
  requestId: string,
  language: ReturnType<typeof asLanguageCode>,
  text: string,
  words: ReturnType<typeof createTimedString>[],
  confidence: number,
  duration = 0,
): stt.SpeechEvent {
  return {
    type: stt.SpeechEventType.FINAL_TRANSCRIPT,
    requestId,
    alternatives: [{ text, language, startTime: 0, endTime: duration, confidence, words }],
  };
}
