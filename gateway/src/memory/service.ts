import { MEMORY_LIMITS, type MemoryContext, type MemorySummary, type RecallResult } from '@parley/protocol';
import type { StoredSummary } from '@parley/db';
import { CallDirectory } from '../calls/directory';
import type { AppContext } from '../context';
import { clip } from '../conversations/presenter';
import { errors } from '../http/errors';
import { preferencesService } from '../preferences/service';

const OFF = { enabled: false, summaries: [] as MemorySummary[] };

const present = (s: StoredSummary): MemorySummary => ({
  conversationId: s.conversationId,
  title: s.title,
  summary: s.summary,
  at: s.at.toISOString(),
});

/**
 * What the agent may know about the caller. The owner is always the conversation's own user (read
 * from the database, never from the request), and the stored preference is read on every request,
 * so turning memory off stops recall at once, mid-call included. Guests have no memory.
 */
export class MemoryService {
  readonly #directory: CallDirectory;
  constructor(private readonly ctx: AppContext) {
    this.#directory = new CallDirectory(ctx.repos, ctx.kv);
  }

  async enabledFor(userId: string): Promise<boolean> {
    return (await preferencesService(this.ctx).get(userId)).preferences.memory;
  }

  /** The owner of a call whose memory is on, or null (guest, memory off); 404 for an unknown call. */
  async #owner(conversationId: string): Promise<string | null> {
    const call = await this.#directory.find(conversationId);
    if (!call) throw errors.notFound('Conversation');
    if (call.kind !== 'user') return null;
    return (await this.enabledFor(call.userId)) ? call.userId : null;
  }

  async list(userId: string): Promise<{ enabled: boolean; summaries: MemorySummary[] }> {
    const [enabled, rows] = await Promise.all([
      this.enabledFor(userId),
      this.ctx.repos.memory.summaries(userId, { limit: 200 }),
    ]);
    return { enabled, summaries: rows.map(present) };
  }

  /** Summaries for a job starting `conversationId`: the newest first, within the start budget. */
  async contextFor(conversationId: string): Promise<MemoryContext> {
    const userId = await this.#owner(conversationId);
    if (!userId) return OFF;
    const rows = await this.ctx.repos.memory.summaries(userId, {
      limit: MEMORY_LIMITS.summariesAtStart,
      exclude: conversationId,
    });
    const summaries: MemorySummary[] = [];
    let used = 0;
    for (const row of rows) {
      const s = present(row);
      used += s.summary.length + (s.title?.length ?? 0);
      if (used > MEMORY_LIMITS.startBudgetChars) break;
      summaries.push(s);
    }
    return { enabled: true, summaries };
  }

  /** The agent's recall tool: the owner's own past utterances matching `query`, within the recall budget. */
  async recall(conversationId: string, query: string): Promise<RecallResult> {
    const userId = await this.#owner(conversationId);
    if (!userId) return { enabled: false, results: [] };
    const rows = await this.ctx.repos.memory.recall(userId, query, {
      limit: MEMORY_LIMITS.recallResults,
      exclude: conversationId,
    });
    const results: RecallResult['results'] = [];
    let used = 0;
    for (const r of rows) {
      const text = clip(r.text, MEMORY_LIMITS.recallTextChars);
      used += text.length;
      if (used > MEMORY_LIMITS.recallBudgetChars) break;
      results.push({ conversationId: r.conversationId, at: r.at.toISOString(), role: r.role, text });
    }
    return { enabled: true, results };
  }
}
