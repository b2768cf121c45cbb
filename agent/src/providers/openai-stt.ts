import { APIConnectionError, type APIConnectOptions, type stt } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';

/** What agents' SpeechStream keeps protected, reached on the instance (see below). */
interface StreamInternals {
  run(): Promise<void>;
  input: { closed: boolean };
  abortController: AbortController;
}

/**
 * OpenAI STT (the plugin's) whose realtime stream fails when the server closes its socket.
 *
 * agents-plugin-openai 1.8's realtime stream returns from `run()` when its socket closes, which
 * agents takes for the end of the caller's audio: recognition stopped for the rest of the call and
 * the FallbackAdapter never moved on (run here: no failover within 30 s of a dropped socket). A
 * close that neither the input's end nor `close()` explains is raised as a non-retryable
 * APIConnectionError instead. Not retryable because agents re-runs `run()` on a retry and the
 * plugin's second run would start a second reader of the same input, interleaving the audio. With a
 * fallback the adapter takes over and probes OpenAI in the background; alone, the session fails and
 * the call ends as agent_failed rather than going deaf.
 */
export class OpenAiStt extends openai.STT {
  override stream(options?: { connOptions?: APIConnectOptions; language?: string | string[] }): stt.SpeechStream {
    const stream = super.stream(options);
    // run() is protected; agents' mainTask calls it on the next timer tick, after this wraps it.
    const s = stream as unknown as StreamInternals;
    const run = s.run.bind(stream);
    s.run = async () => {
      await run();
      if (!s.abortController.signal.aborted && !s.input.closed)
        throw new APIConnectionError({
          message: 'OpenAI realtime transcription socket closed by the server',
          options: { retryable: false },
        });
    };
    return stream;
  }
}
