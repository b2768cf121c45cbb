import { APITimeoutError, DEFAULT_API_CONNECT_OPTIONS, type APIConnectOptions } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';

/** What the plugin's ChunkedStream keeps private: the pending `/audio/speech` response. */
interface ChunkedInternals {
  stream: Promise<unknown>;
}

/**
 * At most this long for the response: the adapter's default attempt timeout (10 s) equals agents'
 * TTS read-idle timeout, which then ends the reply silent before the adapter can move on (run here:
 * no audio within 30 s). A sentence's /audio/speech answers in about a second when healthy.
 */
const MAX_WAIT_MS = 5_000;

/**
 * OpenAI TTS (the plugin's) whose request fails when the server stalls.
 *
 * agents-plugin-openai 1.8's TTS posts `/audio/speech` with no timeout (the SDK's own is 10 min) and
 * ignores `connOptions.timeoutMs`; a server that accepts the request and sends nothing kept the
 * reply waiting until agents' 10 s TTS read-idle timeout ended it without audio — the caller heard
 * nothing and the FallbackAdapter never moved on. Here no response within `connOptions.timeoutMs` (at
 * most MAX_WAIT_MS; the adapter passes its per-attempt timeout) fails the attempt with an APITimeoutError and aborts
 * the request, so the adapter hands the sentence to the next TTS.
 */
export class OpenAiTts extends openai.TTS {
  override synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): openai.ChunkedStream {
    const stalled = new AbortController();
    const signal = abortSignal ? AbortSignal.any([abortSignal, stalled.signal]) : stalled.signal;
    const stream = super.synthesize(text, connOptions, signal);
    const s = stream as unknown as ChunkedInternals;
    const timeoutMs = Math.min((connOptions ?? DEFAULT_API_CONNECT_OPTIONS).timeoutMs, MAX_WAIT_MS);
    const response = s.stream;
    let timer: NodeJS.Timeout | undefined;
    s.stream = Promise.race([
      response,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new APITimeoutError({ message: `OpenAI /audio/speech sent nothing for ${timeoutMs} ms` }));
          stalled.abort();
        }, timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    // The losing side must not surface as an unhandled rejection.
    response.catch(() => undefined);
    return stream;
  }
}
