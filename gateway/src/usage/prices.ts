import { readFileSync } from 'node:fs';
import { ConfigError, type ProviderStage, type UsageLine } from '@parley/protocol';
import { z } from 'zod';

/**
 * The price table that turns provider usage into an estimated cost (USD). Keys are
 * `<stage>/<provider>/<model>`, with `<stage>/<provider>/*` for any other model of a provider;
 * Parley's provider names (deepgram, openai, xai, openai-compatible, cartesia, local, offline).
 * The defaults below are the providers' public list prices for pay-as-you-go use, as published in
 * late 2025 (docs/operations.md lists them); PRICES_FILE (a JSON object of the same shape) overrides
 * or adds entries. Usage with no matching entry is stored with no cost ("unpriced").
 */
const rate = z.number().finite().min(0).max(1_000_000);
export const Price = z.strictObject({
  /** STT: per minute of audio sent. */
  usdPerAudioMinute: rate.optional(),
  /** LLM: per million prompt tokens (cached prompt tokens at their own rate when given). */
  usdPerMillionPromptTokens: rate.optional(),
  usdPerMillionCachedPromptTokens: rate.optional(),
  usdPerMillionCompletionTokens: rate.optional(),
  /** TTS: per million characters synthesized. */
  usdPerMillionCharacters: rate.optional(),
});
export type Price = z.infer<typeof Price>;

const KEY = /^(stt|llm|tts)\/[a-z0-9-]+\/\S+$/;
export const PriceTable = z.record(z.string(), Price).superRefine((table, ctx) => {
  for (const key of Object.keys(table))
    if (!KEY.test(key))
      ctx.addIssue({ code: 'custom', path: [key], message: 'keys are <stt|llm|tts>/<provider>/<model or *>' });
});
export type PriceTable = z.infer<typeof PriceTable>;

export const DEFAULT_PRICES: PriceTable = {
  // Deepgram streaming, pay as you go.
  'stt/deepgram/nova-3': { usdPerAudioMinute: 0.0077 },
  'stt/deepgram/nova-2': { usdPerAudioMinute: 0.0058 },
  'stt/deepgram/*': { usdPerAudioMinute: 0.0077 },
  // OpenAI transcription.
  'stt/openai/gpt-4o-transcribe': { usdPerAudioMinute: 0.006 },
  'stt/openai/gpt-4o-mini-transcribe': { usdPerAudioMinute: 0.003 },
  'stt/openai/whisper-1': { usdPerAudioMinute: 0.006 },
  'stt/openai/*': { usdPerAudioMinute: 0.006 },
  // OpenAI chat models (per million tokens: input, cached input, output).
  'llm/openai/gpt-4.1-mini': {
    usdPerMillionPromptTokens: 0.4,
    usdPerMillionCachedPromptTokens: 0.1,
    usdPerMillionCompletionTokens: 1.6,
  },
  'llm/openai/gpt-4.1': {
    usdPerMillionPromptTokens: 2,
    usdPerMillionCachedPromptTokens: 0.5,
    usdPerMillionCompletionTokens: 8,
  },
  'llm/openai/gpt-4.1-nano': {
    usdPerMillionPromptTokens: 0.1,
    usdPerMillionCachedPromptTokens: 0.025,
    usdPerMillionCompletionTokens: 0.4,
  },
  'llm/openai/gpt-4o-mini': {
    usdPerMillionPromptTokens: 0.15,
    usdPerMillionCachedPromptTokens: 0.075,
    usdPerMillionCompletionTokens: 0.6,
  },
  'llm/openai/gpt-4o': {
    usdPerMillionPromptTokens: 2.5,
    usdPerMillionCachedPromptTokens: 1.25,
    usdPerMillionCompletionTokens: 10,
  },
  // xAI Grok.
  'llm/xai/grok-4-fast-non-reasoning': {
    usdPerMillionPromptTokens: 0.2,
    usdPerMillionCachedPromptTokens: 0.05,
    usdPerMillionCompletionTokens: 0.5,
  },
  'llm/xai/grok-4-fast-reasoning': {
    usdPerMillionPromptTokens: 0.2,
    usdPerMillionCachedPromptTokens: 0.05,
    usdPerMillionCompletionTokens: 0.5,
  },
  // Cartesia bills one credit per character; the Pro plan's $5 per 100k credits.
  'tts/cartesia/*': { usdPerMillionCharacters: 50 },
  // OpenAI speech: tts-1 and tts-1-hd per character; gpt-4o-mini-tts is billed per token
  // (about $0.015 a minute of speech), estimated here per character.
  'tts/openai/tts-1': { usdPerMillionCharacters: 15 },
  'tts/openai/tts-1-hd': { usdPerMillionCharacters: 30 },
  'tts/openai/gpt-4o-mini-tts': { usdPerMillionCharacters: 15 },
  // Self-hosted and on-machine providers cost nothing per use.
  'stt/local/*': { usdPerAudioMinute: 0 },
  'tts/local/*': { usdPerMillionCharacters: 0 },
  'llm/offline/*': { usdPerMillionPromptTokens: 0, usdPerMillionCompletionTokens: 0 },
  'llm/openai-compatible/*': { usdPerMillionPromptTokens: 0, usdPerMillionCompletionTokens: 0 },
};

/**
 * The defaults with PRICES_FILE's entries over them: a provider the file names (any
 * `<stage>/<provider>/…` key) is priced by the file alone for that stage, so an operator's
 * `llm/openai/*` is not overruled by a default for one OpenAI model. A broken file stops start-up
 * with its path and problem.
 */
export function loadPriceTable(file: string | undefined, read = (f: string) => readFileSync(f, 'utf8')): PriceTable {
  if (!file) return { ...DEFAULT_PRICES };
  let raw: unknown;
  try {
    raw = JSON.parse(read(file));
  } catch (err) {
    throw new ConfigError(`PRICES_FILE ${file} cannot be read as JSON: ${(err as Error).message}`);
  }
  const parsed = PriceTable.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(
      `PRICES_FILE ${file} is not a price table: ${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    );
  const named = new Set(Object.keys(parsed.data).map(providerOf));
  const kept = Object.entries(DEFAULT_PRICES).filter(([key]) => !named.has(providerOf(key)));
  return { ...Object.fromEntries(kept), ...parsed.data };
}

/** `llm/openai/gpt-4.1` → `llm/openai`. */
function providerOf(key: string): string {
  return key.split('/').slice(0, 2).join('/');
}

/** The entry for a stage, provider and model: the exact model first, then the provider's `*`. */
export function priceFor(table: PriceTable, stage: ProviderStage, provider: string, model: string): Price | null {
  return table[`${stage}/${provider}/${model}`] ?? table[`${stage}/${provider}/*`] ?? null;
}

const round6 = (usd: number) => Math.round(usd * 1e6) / 1e6;

/**
 * A usage line's estimated cost in USD (to the micro-dollar), or null when the table has no price
 * for what the line measures. Cached prompt tokens cost the cached rate when one is given, else the
 * prompt rate.
 */
export function costOf(table: PriceTable, line: UsageLine): number | null {
  const p = priceFor(table, line.stage, line.provider, line.model);
  if (!p) return null;
  switch (line.stage) {
    case 'stt':
      return p.usdPerAudioMinute === undefined ? null : round6((line.sttAudioSeconds / 60) * p.usdPerAudioMinute);
    case 'llm': {
      if (p.usdPerMillionPromptTokens === undefined || p.usdPerMillionCompletionTokens === undefined) return null;
      const cached = Math.min(line.llmCachedPromptTokens, line.llmPromptTokens);
      const cachedRate = p.usdPerMillionCachedPromptTokens ?? p.usdPerMillionPromptTokens;
      return round6(
        ((line.llmPromptTokens - cached) * p.usdPerMillionPromptTokens +
          cached * cachedRate +
          line.llmCompletionTokens * p.usdPerMillionCompletionTokens) /
          1e6,
      );
    }
    case 'tts':
      return p.usdPerMillionCharacters === undefined
        ? null
        : round6((line.ttsCharacters * p.usdPerMillionCharacters) / 1e6);
  }
}
