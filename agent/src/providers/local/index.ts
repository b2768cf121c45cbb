/**
 * Providers that run on this machine, so Parley talks with no keys: PocketSphinx STT, espeak-ng
 * TTS and an offline LLM responder. See docs/offline-mode.md.
 */
import type { llm, stt, tts } from '@livekit/agents';
import { OfflineLLM } from './offline-llm.js';
import { LocalSTT } from './stt.js';
import { LocalTTS } from './tts.js';

export { localSpeechAvailable } from './engines.js';
export { LocalSTT } from './stt.js';
export { LocalTTS, LocalChunkedStream, ESPEAK_SAMPLE_RATE } from './tts.js';
export { OfflineLLM, offlineReply } from './offline-llm.js';
export { resolveEspeakVoice } from './voices.js';

/** US English PocketSphinx; other languages are still recognised as English (see the docs). */
export function createLocalStt(opts: { language: string }): stt.STT {
  return new LocalSTT({ language: opts.language });
}

/** espeak-ng: the preferred voice when espeak-ng knows it, else the language's voice. */
export function createLocalTts(opts: { voice: string | null; language: string }): tts.TTS {
  return new LocalTTS({ voice: opts.voice, language: opts.language });
}

/** Says that no language model is configured and repeats what it heard. */
export function createOfflineLlm(opts: { language?: string } = {}): llm.LLM {
  return new OfflineLLM(opts);
}
