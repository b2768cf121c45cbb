import OpenAI from 'openai';
import type { AppContext } from '../context';
import { clip, fallbackTitle } from './presenter';

/**
 * Titles for finished calls. The configured LLM (OpenAI, xAI or any OpenAI-compatible server,
 * through the `openai` SDK) is asked for a few words; on any failure, timeout, an empty answer or
 * the offline provider, the first user utterance (trimmed to ~60 characters) is the title.
 * Transcript text goes only to the provider, never into a log line.
 */

const TITLE_TIMEOUT_MS = 4000;
const TURNS_FOR_TITLE = 8;
const MAX_TITLE_CHARS = 80;

type TitleSource = 'llm' | 'fallback' | 'existing' | 'none';

/** The configured LLM through the `openai` SDK, or null for the offline provider. */
export function llmClient(ctx: AppContext): { client: OpenAI; model: string } | null {
  const { providers, providerEnv: env } = ctx.config;
  let baseURL: string | undefined;
  let apiKey: string | undefined;
  switch (providers.llm) {
    case 'offline':
      return null;
    case 'openai':
      baseURL = env.OPENAI_BASE_URL;
      apiKey = env.OPENAI_API_KEY;
      break;
    case 'xai':
      baseURL = env.XAI_BASE_URL ?? 'https://api.x.ai/v1';
      apiKey = env.XAI_API_KEY;
      break;
    case 'openai-compatible':
      baseURL = env.LLM_BASE_URL;
      apiKey = env.LLM_API_KEY ?? 'unused';
      break;
  }
  return {
    client: new OpenAI({ baseURL, apiKey, timeout: TITLE_TIMEOUT_MS, maxRetries: 0 }),
    model: providers.llmModel,
  };
}

/** Cleans a model's answer into a one-line title: no quotes, no trailing period, bounded length. */
export function cleanTitle(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let t = raw.split('\n').find((l) => l.trim()) ?? '';
  t = t
    .replace(/^\s*(title\s*:\s*)/i, '')
    .replace(/[*#]/g, '')
    .trim();
  t = t.replace(/^[\s"'“”‘’«»]+|[\s"'“”‘’«».。]+$/g, '');
  return t ? clip(t, MAX_TITLE_CHARS) : null;
}

/**
 * Gives a conversation a title unless it already has one. Call it when a call ends; it never
 * throws for provider trouble. Returns the title stored (or null when there was nothing to title).
 */
export async function generateTitle(
  ctx: AppContext,
  conversationId: string,
): Promise<{ title: string | null; source: TitleSource }> {
  // Ends can be reported more than once (agent retry, webhook): never ask the LLM twice.
  const existing = await ctx.repos.conversations.title(conversationId);
  if (existing) return { title: existing, source: 'existing' };
  const turns = await ctx.repos.utterances.list(conversationId, TURNS_FOR_TITLE);
  const firstUser = turns.find((t) => t.role === 'user' && t.text.trim());
  const fallback = fallbackTitle(firstUser?.text ?? null);
  let title: string | null = null;
  let source: TitleSource = 'none';
  const llm = firstUser ? llmClient(ctx) : null;
  if (llm) {
    try {
      const reply = await llm.client.chat.completions.create(
        {
          model: llm.model,
          messages: [
            {
              role: 'system',
              content:
                'You name voice conversations. Reply with a short title of 2 to 6 words in the language of the conversation. No quotes, no punctuation at the end.',
            },
            {
              role: 'user',
              content: turns.map((t) => `${t.role === 'user' ? 'User' : 'Assistant'}: ${clip(t.text, 400)}`).join('\n'),
            },
          ],
          max_tokens: 24,
          temperature: 0.2,
        },
        { timeout: TITLE_TIMEOUT_MS },
      );
      title = cleanTitle(reply.choices[0]?.message?.content);
      if (title) source = 'llm';
    } catch (err) {
      const status = (err as { status?: number }).status;
      ctx.logger.warn(
        { conversationId, status, errName: (err as Error).name },
        'title generation failed; using fallback',
      );
    }
  }
  if (!title && fallback) {
    title = fallback;
    source = 'fallback';
  }
  if (!title) return { title: null, source: 'none' };
  await ctx.repos.conversations.setTitleIfEmpty(conversationId, title);
  return { title, source };
}
