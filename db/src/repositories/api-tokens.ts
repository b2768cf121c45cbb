import type { Database } from '../connect';

/** A personal API token; the token itself is never stored, only its SHA-256. */
export interface ApiTokenRecord {
  id: string;
  userId: string;
  name: string;
  hint: string;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

interface Row {
  id: string;
  user_id: string;
  name: string;
  hint: string;
  scopes: string[] | string;
  created_at: Date | string;
  expires_at: Date | string | null;
  last_used_at: Date | string | null;
}

const COLUMNS = ['id', 'user_id', 'name', 'hint', 'scopes', 'created_at', 'expires_at', 'last_used_at'];
const date = (v: Date | string | null) => (v === null ? null : new Date(v));
const toRecord = (r: Row): ApiTokenRecord => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  hint: r.hint,
  scopes: typeof r.scopes === 'string' ? (JSON.parse(r.scopes) as string[]) : r.scopes,
  createdAt: new Date(r.created_at),
  expiresAt: date(r.expires_at),
  lastUsedAt: date(r.last_used_at),
});

/** Personal API tokens (api_tokens): created and revoked by their owner, found by token hash. */
export class ApiTokensRepository {
  constructor(private readonly db: Database) {}

  async create(input: {
    userId: string;
    name: string;
    tokenHash: string;
    hint: string;
    scopes: string[];
    expiresAt: Date | null;
  }): Promise<ApiTokenRecord> {
    const [row] = await this.db('api_tokens')
      .insert({
        user_id: input.userId,
        name: input.name,
        token_hash: input.tokenHash,
        hint: input.hint,
        scopes: JSON.stringify(input.scopes),
        expires_at: input.expiresAt,
      })
      .returning(COLUMNS);
    return toRecord(row as Row);
  }

  /** The user's tokens that still work, newest first. */
  async listActive(userId: string, now = new Date()): Promise<ApiTokenRecord[]> {
    const rows = await this.db('api_tokens')
      .where({ user_id: userId })
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now))
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .select(COLUMNS);
    return (rows as Row[]).map(toRecord);
  }

  /** The live token with this hash (unexpired), or null. */
  async findActiveByHash(tokenHash: string, now = new Date()): Promise<ApiTokenRecord | null> {
    const row = await this.db('api_tokens')
      .where({ token_hash: tokenHash })
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now))
      .first(COLUMNS);
    return row ? toRecord(row as Row) : null;
  }

  /** Records a use; at most one write a minute per token. */
  async touch(id: string, now = new Date()): Promise<void> {
    await this.db('api_tokens')
      .where({ id })
      .andWhere((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', new Date(now.getTime() - 60_000)))
      .update({ last_used_at: now });
  }

  /** Deletes one of the user's tokens; false when it is not theirs or already gone. */
  async revoke(userId: string, id: string): Promise<boolean> {
    return (await this.db('api_tokens').where({ id, user_id: userId }).delete()) > 0;
  }
}
