import { AudioFrame } from '@livekit/rtc-node';
import { APIConnectionError, DEFAULT_API_CONNECT_OPTIONS, stt, type APIConnectOptions } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';

/** What agents' SpeechStream keeps protected, reached on the instance (see below). */
interface StreamInternals {
  run(): Promise<void>;
  input: { closed: boolean; put(item: unknown): void };
  queue: { put(ev: stt.SpeechEvent): void };
  abortController: AbortController;
}

/** RMS (fraction of full scale) above which caller audio counts as voice for the stall watchdog. */
const VOICE_RMS = 0.02;
/** Voice (ms) since the last transcript (or completed item) before a silent server counts as stalled. */
const MIN_VOICE_MS = 200;

/**
 * OpenAI STT (the plugin's) whose realtime stream fails when the server closes its socket, or
 * stalls.
 *
 * agents-plugin-openai 1.8's realtime stream returns from `run()` when its socket closes, which
 * agents takes for the end of the caller's audio: recognition stopped for the rest of the call and
 * the FallbackAdapter never moved on (run here: no failover within 30 s of a dropped socket). A
 * close that neither the input's end nor `close()` explains is raised as a non-retryable
 * APIConnectionError instead. Not retryable because agents re-runs `run()` on a retry and the
 * plugin's second run would start a second reader of the same input, interleaving the audio. With a
 * fallback the adapter takes over and probes OpenAI in the background; alone, the session fails and
 * the call ends as agent_failed rather than going deaf.
 *
 * A socket that stays open and sends no transcript is not noticed by the plugin or the adapter
 * (its `attemptTimeoutMs` covers connecting only): the caller's words went unanswered. Here, when
 * the caller's audio held voice and then `connOptions.timeoutMs` (the adapter's attempt timeout,
 * 10 s) passed after the last voiced frame without a transcript, the stream fails the same way.
 */
export class OpenAiStt extends openai.STT {
  override stream(options?: { connOptions?: APIConnectOptions; language?: string | string[] }): stt.SpeechStream {
    const stream = super.stream(options);
    // run() is protected; agents' mainTask calls it on the next timer tick, after this wraps it.
    const s = stream as unknown as StreamInternals;
    const timeoutMs = (options?.connOptions ?? DEFAULT_API_CONNECT_OPTIONS).timeoutMs;
    let voicedMs = 0;
    let lastVoiceAt = 0;
    const putInput = s.input.put.bind(s.input);
    s.input.put = (item) => {
      if (item instanceof AudioFrame && item.samplesPerChannel > 0 && rms(item) >= VOICE_RMS) {
        voicedMs += (item.samplesPerChannel / item.sampleRate) * 1000;
        lastVoiceAt = Date.now();
      }
      putInput(item);
    };
    const putEvent = s.queue.put.bind(s.queue);
    s.queue.put = (ev) => {
      // A transcript, or a completed item with no words (usage is reported for every one).
      if (
        ev.type === stt.SpeechEventType.INTERIM_TRANSCRIPT ||
        ev.type === stt.SpeechEventType.FINAL_TRANSCRIPT ||
        ev.type === stt.SpeechEventType.RECOGNITION_USAGE
      ) {
        voicedMs = 0;
        lastVoiceAt = 0;
      }
      putEvent(ev);
    };
    const run = s.run.bind(stream);
    s.run = async () => {
      let watchdog: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        watchdog = setInterval(() => {
          if (voicedMs >= MIN_VOICE_MS && lastVoiceAt && Date.now() - lastVoiceAt >= timeoutMs)
            reject(
              new APIConnectionError({
                message: `OpenAI realtime transcription sent no transcript ${timeoutMs} ms after the caller spoke`,
                options: { retryable: false },
              }),
            );
        }, 250);
      });
      try {
        await Promise.race([run(), stalled]);
      } finally {
        clearInterval(watchdog);
      }
      if (!s.abortController.signal.aborted && !s.input.closed)
        throw new APIConnectionError({
          message: 'OpenAI realtime transcription socket closed by the server',
          options: { retryable: false },
        });
    };
    return stream;
  }
}

function rms(frame: AudioFrame): number {
  let sum = 0;
  for (const v of frame.data) sum += v * v;
  return Math.sqrt(sum / frame.data.length) / 32768;
}
