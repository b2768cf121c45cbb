import type { Knex } from 'knex';
import type { Database } from '../connect';
import { AuditRepository } from './audit';
import { CONVERSATION_COLUMNS, toConversationRow, type ConversationRow } from './conversations';
import { num } from './rows';
import { toUtteranceRecord, UTTERANCE_COLUMNS, type UtteranceRecord } from './utterances';

export interface UserDataExport {
  profile: { id: string; email: string; displayName: string; createdAt: Date; retentionDays: number | null };
  conversations: Array<ConversationRow & { utterances: UtteranceRecord[] }>;
}

/**
 * A whole account's data at once ("own your data"): everything for the export file, and the
 * deletion of the account with every row that belongs to it. Sessions are not rows of ours:
 * the gateway's session store ends them.
 */
export class AccountRepository {
  constructor(private readonly db: Database) {}

  /** The user's profile and conversations (newest first, each with its turns); preferences live in their own repository. */
  async exportData(userId: string): Promise<UserDataExport | null> {
    const user = await this.db('users')
      .where({ id: userId })
      .first('id', 'email', 'display_name', 'created_at', 'retention_days');
    if (!user) return null;
    const conversations = (
      await this.db('conversations')
        .where({ user_id: userId })
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .select(CONVERSATION_COLUMNS)
    ).map(toConversationRow);
    const byConversation = new Map<string, UtteranceRecord[]>(conversations.map((c) => [c.id, []]));
    const rows = await this.db('utterances')
      .where({ user_id: userId })
      .orderBy([{ column: 'conversation_id' }, { column: 'seq' }])
      .select('conversation_id', ...UTTERANCE_COLUMNS);
    for (const r of rows) byConversation.get(r.conversation_id)?.push(toUtteranceRecord(r));
    return {
      profile: {
        id: user.id,
        email: user.email,
        displayName: user.display_name,
        createdAt: new Date(user.created_at),
        retentionDays: num(user.retention_days),
      },
      conversations: conversations.map((c) => ({ ...c, utterances: byConversation.get(c.id) ?? [] })),
    };
  }

  /**
   * Removes the user and, by cascade, every row that references them (preferences, conversations,
   * utterances, …). Its audit events stay, pseudonymised first (AuditRepository.pseudonymise), in
   * the same transaction. Returns false when the user was already gone.
   */
  async delete(userId: string): Promise<boolean> {
    const work = async (db: Database) => {
      await new AuditRepository(db).pseudonymise(userId);
      return (await db('users').where({ id: userId }).delete()) > 0;
    };
    return (this.db as Knex.Transaction).isTransaction ? work(this.db) : this.db.transaction(work);
  }
}
