import { createHash, randomBytes } from 'node:crypto';
import type { ListedShare, Repositories } from '@parley/db';
import type { CreateShareBody, ShareLink, SharedConversation } from '@parley/protocol';
import { errors } from '../http/errors';
import { fallbackTitle } from '../conversations/presenter';

const DAY_MS = 24 * 60 * 60 * 1000;
/** 32 random bytes (256 bits), base64url: unguessable, URL-safe, 43 characters. */
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const present = (s: ListedShare): ShareLink => ({
  id: s.id,
  conversationId: s.conversationId,
  conversationTitle: s.conversationTitle,
  includeLatency: s.includeLatency,
  createdAt: s.createdAt.toISOString(),
  expiresAt: s.expiresAt.toISOString(),
});

/** Share links: the owner creates, lists and revokes them; anyone holding a token opens one. */
export class SharesService {
  constructor(private readonly repos: Repositories) {}

  /** A new link to one of the user's conversations (a foreign or unknown id is not_found). */
  async create(userId: string, body: CreateShareBody): Promise<{ share: ShareLink; token: string }> {
    const conversation = await this.repos.conversations.findOwned(userId, body.conversationId.toLowerCase());
    if (!conversation) throw errors.notFound('Conversation');
    const token = randomBytes(32).toString('base64url');
    const share = await this.repos.shares.create({
      userId,
      conversationId: conversation.id,
      tokenHash: hashToken(token),
      includeLatency: body.includeLatency,
      expiresAt: new Date(Date.now() + body.expiresInDays * DAY_MS),
    });
    return { share: present({ ...share, conversationTitle: conversation.title }), token };
  }

  async list(userId: string): Promise<ShareLink[]> {
    return (await this.repos.shares.listActive(userId)).map(present);
  }

  async revoke(userId: string, id: string): Promise<void> {
    if (!(await this.repos.shares.revoke(userId, id))) throw errors.notFound('Share link');
  }

  /** The shared conversation, or one not_found for unknown, malformed, revoked and expired tokens alike. */
  async open(token: string): Promise<SharedConversation> {
    const found = TOKEN_RE.test(token) ? await this.repos.shares.findOpen(hashToken(token)) : null;
    if (!found) throw errors.notFound('Share link');
    const { share, conversation: c } = found;
    const utterances = await this.repos.utterances.list(c.id);
    return {
      conversation: {
        title: c.title ?? fallbackTitle(utterances.find((u) => u.role === 'user')?.text ?? null),
        language: c.language,
        startedAt: c.startedAt?.toISOString() ?? null,
        endedAt: c.endedAt?.toISOString() ?? null,
        durationMs: c.durationMs,
        turnCount: c.turnCount,
      },
      utterances: utterances.map((u) => ({
        seq: u.seq,
        role: u.role,
        text: u.text,
        startedAt: u.startedAt,
        endedAt: u.endedAt,
        interrupted: u.interrupted,
        typed: u.typed ?? false,
        ...(share.includeLatency ? { metrics: u.metrics } : {}),
      })),
      includeLatency: share.includeLatency,
      expiresAt: share.expiresAt.toISOString(),
    };
  }
}
