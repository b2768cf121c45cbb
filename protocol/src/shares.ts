import { z } from 'zod';
import { TurnMetrics } from './transcript';

/** HTTP contract of share links: read-only links to one conversation, opened signed out. */

export const SHARE_DEFAULT_DAYS = 7;
export const SHARE_MAX_DAYS = 90;

const iso = z.string().describe('ISO 8601 date-time');

export const CreateShareBody = z
  .object({
    conversationId: z.string().uuid(),
    expiresInDays: z.number().int().min(1).max(SHARE_MAX_DAYS).default(SHARE_DEFAULT_DAYS),
    includeLatency: z.boolean().default(false),
  })
  .strict();
export type CreateShareBody = z.infer<typeof CreateShareBody>;

export const ShareLink = z.object({
  id: z.string().uuid(),
  conversationId: z.string().uuid(),
  conversationTitle: z.string().nullable(),
  includeLatency: z.boolean(),
  createdAt: iso,
  expiresAt: iso,
});
export type ShareLink = z.infer<typeof ShareLink>;

/** The token is shown once, here: only its hash is stored, so the link cannot be shown again. */
export const CreatedShare = z.object({
  share: ShareLink,
  token: z.string(),
  url: z.string().describe('the public page, /s/<token> on this instance'),
});
export type CreatedShare = z.infer<typeof CreatedShare>;

export const ShareList = z.object({ shares: z.array(ShareLink) });
export type ShareList = z.infer<typeof ShareList>;

/** What a shared link shows: the transcript and its times, no account data. */
export const SharedConversation = z.object({
  conversation: z.object({
    title: z.string().nullable(),
    language: z.string(),
    startedAt: iso.nullable(),
    endedAt: iso.nullable(),
    durationMs: z.number().nullable(),
    turnCount: z.number().int(),
  }),
  utterances: z.array(
    z.object({
      seq: z.number().int(),
      role: z.enum(['user', 'agent']),
      text: z.string(),
      startedAt: iso,
      endedAt: iso,
      interrupted: z.boolean(),
      /** The caller typed this turn instead of saying it. */
      typed: z.boolean().optional(),
      /** Only when the owner chose to include latency. */
      metrics: TurnMetrics.partial().nullable().optional(),
    }),
  ),
  includeLatency: z.boolean(),
  expiresAt: iso,
});
export type SharedConversation = z.infer<typeof SharedConversation>;
