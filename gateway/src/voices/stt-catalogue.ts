import { createClient } from '@deepgram/sdk';
import type { AppContext } from '../context';
import { perGatewayCache, type Loaded } from './cache';

export interface SttModel {
  name: string;
  languages: string[];
}

export interface SttCatalogue {
  provider: 'deepgram';
  /** true/false when Deepgram answered; null when it could not be reached. */
  keyValid: boolean | null;
  /** Streaming speech-to-text models Deepgram offers (empty when unknown). */
  models: SttModel[];
  detail?: string;
}

const TIMEOUT_MS = 5000;
const TTL_MS = 10 * 60_000;
const RETRY_MS = 60_000;

function withTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), TIMEOUT_MS).unref()),
  ]);
}

/** DEEPGRAM_BASE_URL is the streaming (ws) endpoint the agent uses; REST lives on the same host over http(s). */
function restUrl(base: string | undefined): string | undefined {
  return base?.replace(/^ws(s?):\/\//, 'http$1://').replace(/\/+$/, '');
}

async function load(ctx: AppContext): Promise<Loaded<SttCatalogue>> {
  const env = ctx.config.providerEnv;
  const url = restUrl(env.DEEPGRAM_BASE_URL);
  const client = createClient({
    key: env.DEEPGRAM_API_KEY!,
    ...(url ? { global: { fetch: { options: { url } } } } : {}),
  });
  try {
    const projects = await withTimeout(client.manage.getProjects());
    if (projects.error) {
      const status = (projects.error as { status?: number }).status;
      if (status === 401 || status === 403)
        return {
          value: { provider: 'deepgram', keyValid: false, models: [], detail: 'Deepgram refused the API key' },
          ttlMs: RETRY_MS,
        };
      throw new Error(`Deepgram answered ${status ?? 'an error'}`);
    }
    const models = await withTimeout(client.models.getAll());
    const stt = (models.result?.stt ?? [])
      .filter((m) => m.streaming !== false)
      .map((m) => ({ name: m.canonical_name || m.name, languages: m.languages ?? [] }));
    return { value: { provider: 'deepgram', keyValid: true, models: stt }, ttlMs: TTL_MS };
  } catch (err) {
    ctx.logger.warn(
      { provider: 'deepgram', err: { message: (err as Error).message?.slice(0, 200) } },
      'deepgram check failed',
    );
    return {
      value: { provider: 'deepgram', keyValid: null, models: [], detail: 'Deepgram could not be reached' },
      ttlMs: RETRY_MS,
    };
  }
}

const cached = perGatewayCache(load);

/**
 * Deepgram key check and streaming-model catalogue, when STT is deepgram with a key; null
 * otherwise. Cached 10 minutes (a failure is retried after a minute). Never throws.
 */
export function sttCatalogue(ctx: AppContext): Promise<SttCatalogue | null> {
  if (ctx.config.providers.stt !== 'deepgram' || !ctx.config.providerEnv.DEEPGRAM_API_KEY) return Promise.resolve(null);
  return cached(ctx);
}
