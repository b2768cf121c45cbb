import { z } from 'zod';
import { text } from './text';
import { Role } from './transcript';

/**
 * The agent's memory of a caller (opt-in preference `memory`; never for guests): a short summary
 * per finished conversation, the last few handed to the agent at call start, and a `recall` tool
 * that searches the caller's own past utterances. Every size here is a hard bound.
 */
export const MEMORY_LIMITS = {
  /** One stored summary. */
  summaryChars: 600,
  /** Summaries handed to the agent at call start (newest first) … */
  summariesAtStart: 5,
  /** … within this many characters in all (≈ 500 tokens). */
  startBudgetChars: 2000,
  /** A recall query. */
  queryChars: 200,
  /** Utterances a recall returns … */
  recallResults: 6,
  /** … within this many characters in all, each one clipped to recallTextChars. */
  recallBudgetChars: 1500,
  recallTextChars: 300,
} as const;

export const MemorySummary = z.object({
  conversationId: z.string().uuid(),
  title: z.string().nullable(),
  summary: z.string(),
  /** When the conversation took place. */
  at: z.string(),
});
export type MemorySummary = z.infer<typeof MemorySummary>;

/** What the agent receives at call start (empty when memory is off or nothing is remembered yet). */
export const MemoryContext = z.object({ enabled: z.boolean(), summaries: z.array(MemorySummary) });
export type MemoryContext = z.infer<typeof MemoryContext>;

export const RecallRequest = z.object({ query: text().trim().min(1).max(MEMORY_LIMITS.queryChars) });
export type RecallRequest = z.infer<typeof RecallRequest>;

export const RecallHit = z.object({
  conversationId: z.string().uuid(),
  /** When the conversation took place. */
  at: z.string(),
  role: Role,
  text: z.string(),
});
export type RecallHit = z.infer<typeof RecallHit>;
export const RecallResult = z.object({ enabled: z.boolean(), results: z.array(RecallHit) });
export type RecallResult = z.infer<typeof RecallResult>;
