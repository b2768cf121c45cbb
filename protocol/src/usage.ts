import { z } from 'zod';
import { ProviderStage } from './providers';

/**
 * Provider usage of one call, as the agent measures it (@livekit/agents' metrics_collected:
 * stt_metrics audio duration, llm_metrics prompt / cached / completion tokens, tts_metrics
 * characters), one line per stage, provider and model. The gateway prices it (gateway/src/usage).
 */
const count = z.number().int().min(0).max(1_000_000_000);

export const UsageLine = z.object({
  stage: ProviderStage,
  /** Parley's name of the provider that served (after a failover, the fallback's). */
  provider: z.string().min(1).max(64),
  model: z.string().min(1).max(128),
  /** STT: seconds of audio sent for recognition. */
  sttAudioSeconds: z.number().finite().min(0).max(1_000_000).default(0),
  /** LLM: prompt tokens, of which `llmCachedPromptTokens` were served from the provider's cache. */
  llmPromptTokens: count.default(0),
  llmCachedPromptTokens: count.default(0),
  llmCompletionTokens: count.default(0),
  /** TTS: characters synthesized. */
  ttsCharacters: count.default(0),
});
export type UsageLine = z.infer<typeof UsageLine>;

/**
 * A job's running totals for its call. `reportId` names the reporting job: a later report with the
 * same id replaces the earlier one (totals, not increments, so a retried batch counts once); a
 * replacement agent reports under its own id and adds to the call.
 */
export const UsageReport = z.object({
  reportId: z.string().min(1).max(128),
  lines: z.array(UsageLine).max(30),
});
export type UsageReport = z.infer<typeof UsageReport>;
