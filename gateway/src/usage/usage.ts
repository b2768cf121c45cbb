import type { UsageTotals } from '@parley/db';
import type { UsageFigures } from '@parley/protocol';

/** Consecutive active days (UTC) ending today, or yesterday when today has no call yet. */
export function activeDayStreak(daysNewestFirst: string[], now: Date): number {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const active = new Set(daysNewestFirst);
  const cursor = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  if (!active.has(day(cursor))) cursor.setUTCDate(cursor.getUTCDate() - 1);
  let streak = 0;
  while (active.has(day(cursor))) {
    streak++;
    cursor.setUTCDate(cursor.getUTCDate() - 1);
  }
  return streak;
}

/** A UTC month (YYYY-MM, default: the one `now` is in) as a half-open range [from, to). */
export function monthRange(month: string | undefined, now: Date): { month: string; from: Date; to: Date } {
  const [y, m] = month ? month.split('-').map(Number) : [now.getUTCFullYear(), now.getUTCMonth() + 1];
  const from = new Date(Date.UTC(y!, m! - 1, 1));
  const to = new Date(Date.UTC(y!, m!, 1));
  return { month: from.toISOString().slice(0, 7), from, to };
}

/** Stored totals as the API shows them (seconds, rounded USD micro-dollars). */
export function toFigures(t: UsageTotals): UsageFigures {
  return {
    sttAudioSeconds: Math.round(t.sttAudioMs) / 1000,
    llmPromptTokens: t.llmPromptTokens,
    llmCompletionTokens: t.llmCompletionTokens,
    ttsCharacters: t.ttsCharacters,
    costUsd: Math.round(t.costUsd * 1e6) / 1e6,
    unpriced: t.unpriced,
  };
}
