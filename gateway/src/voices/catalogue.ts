import { CartesiaClient } from '@cartesia/cartesia-js';
import { ESPEAK_VOICES, isCartesiaVoiceId, OPENAI_VOICES, type TtsProvider, type Voice } from '@parley/protocol';
import type { AppContext } from '../context';
import { CARTESIA_FALLBACK_VOICES } from './builtin';
import { perGatewayCache, type Loaded } from './cache';

export interface VoiceCatalogue {
  provider: TtsProvider;
  /** 'provider': listed by the provider's API just now (cached); 'builtin': Parley's own list. */
  source: 'provider' | 'builtin';
  voices: Voice[];
  has(voiceId: string): boolean;
}

/** How long a provider listing is reused, and how soon a failed one is retried. */
export const CATALOGUE_TTL_MS = 10 * 60_000;
export const CATALOGUE_RETRY_MS = 60_000;
const PROVIDER_TIMEOUT_S = 5;

function catalogue(provider: TtsProvider, source: VoiceCatalogue['source'], voices: Voice[]): VoiceCatalogue {
  const ids = new Set(voices.map((v) => v.id));
  return { provider, source, voices, has: (id) => ids.has(id) };
}

type CartesiaListed = { id?: unknown; name?: unknown; language?: unknown; description?: unknown };

async function listCartesiaVoices(ctx: AppContext): Promise<Voice[]> {
  const env = ctx.config.providerEnv;
  const client = new CartesiaClient({
    apiKey: env.CARTESIA_API_KEY,
    ...(env.CARTESIA_BASE_URL ? { baseUrl: env.CARTESIA_BASE_URL } : {}),
  });
  const listed = (await client.voices.list({ timeoutInSeconds: PROVIDER_TIMEOUT_S, maxRetries: 0 })) as unknown;
  // API version 2024-06-10 answers an array; newer versions page as { data: [...] }.
  const items: CartesiaListed[] = Array.isArray(listed)
    ? listed
    : Array.isArray((listed as { data?: unknown })?.data)
      ? (listed as { data: CartesiaListed[] }).data
      : [];
  const voices = items
    .filter((v) => typeof v.id === 'string' && isCartesiaVoiceId(v.id))
    .map((v) => ({
      id: v.id as string,
      name: typeof v.name === 'string' ? v.name : (v.id as string),
      language: typeof v.language === 'string' ? v.language : null,
      ...(typeof v.description === 'string' && v.description ? { description: v.description } : {}),
    }));
  if (voices.length === 0) throw new Error('Cartesia listed no voices');
  return voices;
}

function cartesiaBuiltin(ctx: AppContext): Voice[] {
  const configured = ctx.config.providerEnv.CARTESIA_VOICE;
  const rest = CARTESIA_FALLBACK_VOICES.filter((v) => v.id !== configured);
  // Not "Default voice": the settings form already offers that for "no preference" (null).
  return [{ id: configured, name: 'Configured voice (CARTESIA_VOICE)', language: null }, ...rest];
}

async function load(ctx: AppContext): Promise<Loaded<VoiceCatalogue>> {
  const provider = ctx.config.providers.tts;
  if (provider === 'openai') {
    const configured = ctx.config.providerEnv.OPENAI_TTS_VOICE;
    const voices = OPENAI_VOICES.some((v) => v.id === configured)
      ? OPENAI_VOICES
      : [{ id: configured, name: configured, language: null }, ...OPENAI_VOICES];
    return { value: catalogue(provider, 'builtin', voices), ttlMs: Infinity };
  }
  if (provider === 'local') return { value: catalogue(provider, 'builtin', ESPEAK_VOICES), ttlMs: Infinity };
  if (!ctx.config.providerEnv.CARTESIA_API_KEY)
    return { value: catalogue(provider, 'builtin', cartesiaBuiltin(ctx)), ttlMs: Infinity };
  try {
    return { value: catalogue(provider, 'provider', await listCartesiaVoices(ctx)), ttlMs: CATALOGUE_TTL_MS };
  } catch (err) {
    ctx.logger.warn(
      { provider, err: { message: (err as Error).message?.slice(0, 200) } },
      'voice listing failed; using the built-in list',
    );
    return { value: catalogue(provider, 'builtin', cartesiaBuiltin(ctx)), ttlMs: CATALOGUE_RETRY_MS };
  }
}

const cached = perGatewayCache(load);

/**
 * The voices the active TTS provider offers, for GET /api/voices and for validating
 * preferences: `(await voiceCatalogue(ctx)).has(voiceId)`. Cartesia is asked through its SDK
 * when a key is set (cached 10 minutes; on failure the built-in list, retried after a minute);
 * OpenAI and the local espeak-ng provider have fixed lists. Never throws.
 */
export function voiceCatalogue(ctx: AppContext): Promise<VoiceCatalogue> {
  return cached(ctx);
}
