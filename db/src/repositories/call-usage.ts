import type { Database } from '../connect';
import { rowsOf, type Row } from './rows';

/** One priced usage line as stored (see migration 007). */
export interface CallUsageLine {
  stage: 'stt' | 'llm' | 'tts';
  provider: string;
  model: string;
  sttAudioMs: number;
  llmPromptTokens: number;
  llmCachedPromptTokens: number;
  llmCompletionTokens: number;
  ttsCharacters: number;
  /** Estimated cost in USD; null when no price is known for the provider and model. */
  costUsd: number | null;
}

export interface UsageTotals {
  sttAudioMs: number;
  llmPromptTokens: number;
  llmCachedPromptTokens: number;
  llmCompletionTokens: number;
  ttsCharacters: number;
  costUsd: number;
  /** Some usage had no price (its cost is missing from costUsd). */
  unpriced: boolean;
}

export interface ConversationUsage extends UsageTotals {
  conversationId: string;
  title: string | null;
  startedAt: Date;
  durationMs: number | null;
}

const totals = (r: Row): UsageTotals => ({
  sttAudioMs: Number(r.stt_audio_ms ?? 0),
  llmPromptTokens: Number(r.llm_prompt_tokens ?? 0),
  llmCachedPromptTokens: Number(r.llm_cached_prompt_tokens ?? 0),
  llmCompletionTokens: Number(r.llm_completion_tokens ?? 0),
  ttsCharacters: Number(r.tts_characters ?? 0),
  costUsd: Number(r.cost_usd ?? 0),
  unpriced: r.unpriced === true || r.unpriced === 't',
});

const SUMS = `coalesce(sum(u.stt_audio_ms), 0) AS stt_audio_ms,
  coalesce(sum(u.llm_prompt_tokens), 0) AS llm_prompt_tokens,
  coalesce(sum(u.llm_cached_prompt_tokens), 0) AS llm_cached_prompt_tokens,
  coalesce(sum(u.llm_completion_tokens), 0) AS llm_completion_tokens,
  coalesce(sum(u.tts_characters), 0) AS tts_characters,
  coalesce(sum(u.cost_usd), 0) AS cost_usd,
  coalesce(bool_or(u.cost_usd IS NULL), false) AS unpriced`;

/**
 * Provider usage and estimated cost per call (call_usage): each reporting agent job's running
 * totals replace its earlier report; read per conversation and per account and month. A call
 * belongs to the UTC month it started in.
 */
export class CallUsageRepository {
  constructor(private readonly db: Database) {}

  /** Replaces what one job reported for a conversation with its new totals (one transaction). */
  async replaceReport(input: {
    conversationId: string;
    userId: string;
    reportId: string;
    lines: CallUsageLine[];
  }): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('call_usage').where({ conversation_id: input.conversationId, report_id: input.reportId }).delete();
      if (input.lines.length === 0) return;
      await trx('call_usage').insert(
        input.lines.map((l) => ({
          conversation_id: input.conversationId,
          user_id: input.userId,
          report_id: input.reportId,
          stage: l.stage,
          provider: l.provider,
          model: l.model,
          stt_audio_ms: Math.round(l.sttAudioMs),
          llm_prompt_tokens: l.llmPromptTokens,
          llm_cached_prompt_tokens: l.llmCachedPromptTokens,
          llm_completion_tokens: l.llmCompletionTokens,
          tts_characters: l.ttsCharacters,
          cost_usd: l.costUsd,
        })),
      );
    });
  }

  /** A conversation's usage lines, summed over reporting jobs (stage, provider, model order). */
  async lines(conversationId: string): Promise<CallUsageLine[]> {
    const rows = rowsOf(
      await this.db.raw(
        `SELECT stage, provider, model,
                sum(stt_audio_ms) AS stt_audio_ms, sum(llm_prompt_tokens) AS llm_prompt_tokens,
                sum(llm_cached_prompt_tokens) AS llm_cached_prompt_tokens,
                sum(llm_completion_tokens) AS llm_completion_tokens, sum(tts_characters) AS tts_characters,
                CASE WHEN bool_or(cost_usd IS NULL) THEN NULL ELSE sum(cost_usd) END AS cost_usd
         FROM call_usage WHERE conversation_id = ? GROUP BY stage, provider, model ORDER BY stage, provider, model`,
        [conversationId],
      ),
    );
    return rows.map((r) => ({
      stage: r.stage,
      provider: r.provider,
      model: r.model,
      ...totals({ ...r, unpriced: false }),
      costUsd: r.cost_usd === null ? null : Number(r.cost_usd),
    }));
  }

  /** Every account's calls that started in [from, to), summed per account, costliest first (at most `limit`). */
  async perUser(
    from: Date,
    to: Date,
    limit = 200,
  ): Promise<Array<UsageTotals & { userId: string; email: string; calls: number; durationMs: number }>> {
    const rows = rowsOf(
      await this.db.raw(
        `SELECT c.user_id, min(us.email) AS email, count(DISTINCT c.id) AS calls,
                (SELECT coalesce(sum(duration_ms), 0) FROM conversations c2
                 WHERE c2.user_id = c.user_id AND c2.started_at >= ? AND c2.started_at < ?) AS duration_ms,
                ${SUMS}
         FROM conversations c JOIN users us ON us.id = c.user_id
         LEFT JOIN call_usage u ON u.conversation_id = c.id
         WHERE c.started_at IS NOT NULL AND c.started_at >= ? AND c.started_at < ?
         GROUP BY c.user_id ORDER BY cost_usd DESC, calls DESC LIMIT ?`,
        [from.toISOString(), to.toISOString(), from.toISOString(), to.toISOString(), limit],
      ),
    );
    return rows.map((r) => ({
      userId: r.user_id,
      email: r.email,
      calls: Number(r.calls),
      durationMs: Number(r.duration_ms),
      ...totals(r),
    }));
  }

  /**
   * An account's calls that started in [from, to), newest first, each with its usage totals, and
   * the month's totals. At most `limit` calls are listed; the totals cover all of them.
   */
  async period(
    userId: string,
    from: Date,
    to: Date,
    limit = 500,
  ): Promise<{ conversations: ConversationUsage[]; total: UsageTotals & { calls: number; durationMs: number } }> {
    const range = [userId, from.toISOString(), to.toISOString()];
    const rows = rowsOf(
      await this.db.raw(
        `SELECT c.id, c.title, c.started_at, c.duration_ms, ${SUMS}
         FROM conversations c LEFT JOIN call_usage u ON u.conversation_id = c.id
         WHERE c.user_id = ? AND c.started_at IS NOT NULL AND c.started_at >= ? AND c.started_at < ?
         GROUP BY c.id ORDER BY c.started_at DESC LIMIT ?`,
        [...range, limit],
      ),
    );
    const [sum] = rowsOf(
      await this.db.raw(
        `SELECT count(DISTINCT c.id) AS calls,
                (SELECT coalesce(sum(duration_ms), 0) FROM conversations
                 WHERE user_id = ? AND started_at >= ? AND started_at < ?) AS duration_ms,
                ${SUMS}
         FROM conversations c LEFT JOIN call_usage u ON u.conversation_id = c.id
         WHERE c.user_id = ? AND c.started_at IS NOT NULL AND c.started_at >= ? AND c.started_at < ?`,
        [...range, ...range],
      ),
    );
    return {
      conversations: rows.map((r) => ({
        conversationId: r.id,
        title: r.title ?? null,
        startedAt: new Date(r.started_at),
        durationMs: r.duration_ms === null || r.duration_ms === undefined ? null : Number(r.duration_ms),
        ...totals(r),
      })),
      total: { calls: Number(sum?.calls ?? 0), durationMs: Number(sum?.duration_ms ?? 0), ...totals(sum ?? {}) },
    };
  }
}
