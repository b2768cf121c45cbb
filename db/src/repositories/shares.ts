import type { Database } from '../connect';
import { CONVERSATION_COLUMNS, toConversationRow, type ConversationRow } from './conversations';

/** A read-only link to one conversation; the token itself is never stored, only its hash. */
export interface Share {
  id: string;
  userId: string;
  conversationId: string;
  includeLatency: boolean;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** A share listed for its owner, with the shared conversation's title. */
export interface ListedShare extends Share {
  conversationTitle: string | null;
}

interface ShareRow {
  id: string;
  user_id: string;
  conversation_id: string;
  include_latency: boolean;
  created_at: Date | string;
  expires_at: Date | string;
  revoked_at: Date | string | null;
}

const SHARE_COLUMNS = [
  'conversation_shares.id',
  'conversation_shares.user_id',
  'conversation_shares.conversation_id',
  'conversation_shares.include_latency',
  'conversation_shares.created_at',
  'conversation_shares.expires_at',
  'conversation_shares.revoked_at',
];

const toShare = (r: ShareRow): Share => ({
  id: r.id,
  userId: r.user_id,
  conversationId: r.conversation_id,
  includeLatency: Boolean(r.include_latency),
  createdAt: new Date(r.created_at),
  expiresAt: new Date(r.expires_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
});

/** Share links (conversation_shares): created by a conversation's owner, opened by token hash, revoked. */
export class SharesRepository {
  constructor(private readonly db: Database) {}

  async create(input: {
    userId: string;
    conversationId: string;
    tokenHash: string;
    includeLatency: boolean;
    expiresAt: Date;
  }): Promise<Share> {
    const [row] = await this.db('conversation_shares')
      .insert({
        user_id: input.userId,
        conversation_id: input.conversationId,
        token_hash: input.tokenHash,
        include_latency: input.includeLatency,
        expires_at: input.expiresAt,
      })
      .returning(SHARE_COLUMNS.map((c) => c.replace('conversation_shares.', '')));
    return toShare(row);
  }

  /** The user's links that still open (not revoked, not expired), newest first. */
  async listActive(userId: string, now = new Date()): Promise<ListedShare[]> {
    const rows = await this.db('conversation_shares')
      .join('conversations', 'conversations.id', 'conversation_shares.conversation_id')
      .where('conversation_shares.user_id', userId)
      .whereNull('conversation_shares.revoked_at')
      .where('conversation_shares.expires_at', '>', now)
      .orderBy([
        { column: 'conversation_shares.created_at', order: 'desc' },
        { column: 'conversation_shares.id', order: 'desc' },
      ])
      .select([...SHARE_COLUMNS, 'conversations.title as conversation_title']);
    return rows.map((r: ShareRow & { conversation_title: string | null }) => ({
      ...toShare(r),
      conversationTitle: r.conversation_title ?? null,
    }));
  }

  /** Revokes one of the user's links that still opens. False when it is not theirs, unknown or already ended. */
  async revoke(userId: string, id: string, now = new Date()): Promise<boolean> {
    const n = await this.db('conversation_shares')
      .where({ id, user_id: userId })
      .whereNull('revoked_at')
      .where('expires_at', '>', now)
      .update({ revoked_at: now });
    return n > 0;
  }

  /** The link with this token hash and its conversation, only while it opens (not revoked, not expired). */
  async findOpen(tokenHash: string, now = new Date()): Promise<{ share: Share; conversation: ConversationRow } | null> {
    const share: ShareRow | undefined = await this.db('conversation_shares')
      .where({ token_hash: tokenHash })
      .whereNull('revoked_at')
      .where('expires_at', '>', now)
      .first(SHARE_COLUMNS);
    if (!share) return null;
    const conversation = await this.db('conversations')
      .where({ id: share.conversation_id })
      .first(CONVERSATION_COLUMNS);
    return conversation ? { share: toShare(share), conversation: toConversationRow(conversation) } : null;
  }
}
