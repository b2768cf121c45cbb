import { execFile } from 'node:child_process';
import { CartesiaClient } from '@cartesia/cartesia-js';
import { LRUCache } from 'lru-cache';
import OpenAI from 'openai';
import {
  ESPEAK_FALLBACK_VOICE,
  ESPEAK_LANGUAGE_VOICES,
  LANGUAGE_CODES,
  VOICE_PREVIEW_TEXT,
  type LanguageCode,
  type TtsProvider,
} from '@parley/protocol';
import type { AppContext } from '../context';
import { AppError } from '../http/errors';
import { voiceCatalogue } from './catalogue';

/**
 * Voice previews: a short sentence in the chosen language, spoken by the chosen voice of the
 * configured text-to-speech provider, as a WAV file.
 *
 * Why not the agent's TTS code: the agent speaks through LiveKit's streaming plugins (a WebSocket
 * per call, frames into a room), and the gateway may import only db and protocol. A preview is one
 * request for one finished file, which each provider offers as a plain HTTP call through the SDKs
 * the gateway already uses (Cartesia's /tts/bytes, OpenAI's /audio/speech) or one espeak-ng run;
 * what must agree with the agent — the provider chosen, its model, the voice ids it accepts — comes
 * from the same places (ProviderEnv and the voice rules in @parley/protocol).
 */
const PROVIDER_TIMEOUT_S = 15;
const SAMPLE_RATE = 24_000;

export interface Preview {
  wav: Buffer;
  provider: TtsProvider;
}

const badVoice = () =>
  new AppError(400, 'unknown_voice', 'This voice is not offered by the active text-to-speech provider.');
const badLanguage = () => new AppError(400, 'unsupported_language', 'Parley does not speak this language.');
const failed = () =>
  new AppError(502, 'preview_failed', 'The text-to-speech provider did not answer; try again shortly.');

/** 16-bit mono PCM wrapped as a WAV file (OpenAI's `pcm` format has no header). */
function wavOf(pcm: Buffer, sampleRate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

async function synthesise(ctx: AppContext, voice: string, language: LanguageCode): Promise<Buffer> {
  const env = ctx.config.providerEnv;
  const text = VOICE_PREVIEW_TEXT[language];
  switch (ctx.config.providers.tts) {
    case 'cartesia': {
      const client = new CartesiaClient({
        apiKey: env.CARTESIA_API_KEY,
        ...(env.CARTESIA_BASE_URL ? { baseUrl: env.CARTESIA_BASE_URL } : {}),
      });
      const stream = await client.tts.bytes(
        {
          modelId: env.CARTESIA_MODEL,
          transcript: text,
          voice: { mode: 'id', id: voice },
          language,
          outputFormat: { container: 'wav', encoding: 'pcm_s16le', sampleRate: SAMPLE_RATE },
        },
        { timeoutInSeconds: PROVIDER_TIMEOUT_S, maxRetries: 0 },
      );
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
      return Buffer.concat(chunks);
    }
    case 'openai': {
      const client = new OpenAI({
        apiKey: env.OPENAI_API_KEY,
        ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
        timeout: PROVIDER_TIMEOUT_S * 1000,
        maxRetries: 0,
      });
      const model = env.OPENAI_TTS_MODEL;
      const res = await client.audio.speech.create({
        model,
        voice: voice as never,
        input: text,
        response_format: 'pcm',
        // As the agent does: only the gpt-4o TTS models take delivery instructions.
        ...(model.startsWith('gpt-') ? { instructions: `Speak naturally in the language of the text.` } : {}),
      });
      return wavOf(Buffer.from(await res.arrayBuffer()), SAMPLE_RATE);
    }
    case 'local':
      // espeak-ng writes a WAV to stdout; the voice id is an espeak-ng voice name from ESPEAK_VOICES.
      return new Promise((resolve, reject) =>
        execFile(
          process.env.PARLEY_ESPEAK_BIN ?? 'espeak-ng',
          ['-v', voice, '--stdout', text],
          { encoding: 'buffer', timeout: PROVIDER_TIMEOUT_S * 1000, maxBuffer: 8 * 1024 * 1024 },
          (err, stdout) => (err ? reject(err) : resolve(stdout)),
        ),
      );
  }
}

/** The voice a call without a voice preference speaks with (the agent's resolvers pick the same). */
function defaultVoice(ctx: AppContext, language: LanguageCode): string {
  const env = ctx.config.providerEnv;
  switch (ctx.config.providers.tts) {
    case 'cartesia':
      return env.CARTESIA_VOICE;
    case 'openai':
      return env.OPENAI_TTS_VOICE;
    case 'local':
      return ESPEAK_LANGUAGE_VOICES[language] ?? ESPEAK_FALLBACK_VOICE;
  }
}

/**
 * The preview service: checks the voice against the active provider's catalogue and the language
 * against Parley's, then answers from a per-gateway cache (an entry per provider, voice and language;
 * at most 64 files, about 150 kB each) or synthesises once, concurrent askers sharing the request.
 */
export function voicePreviews(ctx: AppContext) {
  const cache = new LRUCache<string, Buffer>({
    max: 64,
    fetchMethod: async (key) => {
      const [voice, language] = JSON.parse(key) as [string, LanguageCode];
      try {
        const wav = await synthesise(ctx, voice, language);
        if (wav.length <= 44) throw new Error('empty audio');
        return wav;
      } catch (err) {
        ctx.logger.warn(
          { provider: ctx.config.providers.tts, err: { message: (err as Error).message?.slice(0, 200) } },
          'voice preview failed',
        );
        throw failed();
      }
    },
  });
  return {
    cached: (voice: string, language: string) => cache.has(JSON.stringify([voice, language])),
    /** `voice` undefined: the provider's configured default voice, as a call with no preference gets. */
    async get(chosen: string | undefined, language: string): Promise<Preview> {
      if (!(LANGUAGE_CODES as readonly string[]).includes(language)) throw badLanguage();
      const voice = chosen ?? defaultVoice(ctx, language as LanguageCode);
      if (chosen !== undefined && !(await voiceCatalogue(ctx)).has(voice)) throw badVoice();
      const wav = await cache.fetch(JSON.stringify([voice, language]));
      return { wav: wav!, provider: ctx.config.providers.tts };
    },
  };
}
