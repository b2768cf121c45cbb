import type { Repositories } from '@parley/db';
import type { UsageReport } from '@parley/protocol';
import type { Logger } from 'pino';
import type { CallRef } from '../calls/directory';
import { costOf, type PriceTable } from './prices';

export type RecordUsage = (call: CallRef, report: UsageReport) => Promise<void>;

/**
 * Prices an agent job's usage report and stores it with the conversation (replacing that job's
 * earlier report). Guests' calls are not stored, their usage neither. Usage with no price is kept
 * with no cost and logged once per stage, provider and model, so an operator can add the price.
 */
export function usageRecorder(
  repos: Pick<Repositories, 'callUsage'>,
  prices: PriceTable,
  logger: Pick<Logger, 'warn'>,
): RecordUsage {
  const warned = new Set<string>();
  return async (call, report) => {
    if (call.kind !== 'user') return;
    const lines = report.lines.map((l) => {
      const costUsd = costOf(prices, l);
      const key = `${l.stage}/${l.provider}/${l.model}`;
      if (costUsd === null && !warned.has(key)) {
        warned.add(key);
        logger.warn({ price: key }, 'no price for this usage; add it to PRICES_FILE (stored without a cost)');
      }
      return {
        stage: l.stage,
        provider: l.provider,
        model: l.model,
        sttAudioMs: Math.round(l.sttAudioSeconds * 1000),
        llmPromptTokens: l.llmPromptTokens,
        llmCachedPromptTokens: l.llmCachedPromptTokens,
        llmCompletionTokens: l.llmCompletionTokens,
        ttsCharacters: l.ttsCharacters,
        costUsd,
      };
    });
    await repos.callUsage.replaceReport({
      conversationId: call.id,
      userId: call.userId,
      reportId: report.reportId,
      lines,
    });
  };
}
