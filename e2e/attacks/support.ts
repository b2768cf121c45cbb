/**
 * Shared helpers for the attack and bad-input suites (test code only): the route list read from
 * the live OpenAPI document, users with real sessions, seeded conversations and a snapshot of
 * everything one user owns, so "nothing changed" is one deep equality.
 */
import type { Database } from '@parley/db';
import { TestClient } from '@parley/testkit';
import { seedConversation as seed } from '@parley/testkit/history';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Operation {
  method: Method;
  /** OpenAPI form, `{id}` placeholders. */
  path: string;
  /** Cookie session required (security: session). */
  session: boolean;
  signed: boolean;
  requestSchema?: JsonSchema;
  queryParams: Array<{ name: string; schema: JsonSchema }>;
  responses: string[];
}

export type JsonSchema = Record<string, any>;

/** Every operation of GET /api/openapi.json. */
export async function operations(baseUrl: string): Promise<Operation[]> {
  const r = await new TestClient(baseUrl).get('/api/openapi.json');
  if (r.status !== 200) throw new Error(`openapi.json: ${r.status}`);
  const doc = r.body as { paths: Record<string, Record<string, any>> };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(methods)) {
      const security: Array<Record<string, unknown>> = op.security ?? [];
      ops.push({
        method: m.toUpperCase() as Method,
        path,
        session: security.some((s) => 'session' in s),
        signed: security.some((s) => 'signature' in s),
        requestSchema: op.requestBody?.content?.['application/json']?.schema,
        queryParams: (op.parameters ?? [])
          .filter((p: any) => p.in === 'query')
          .map((p: any) => ({ name: p.name as string, schema: p.schema as JsonSchema })),
        responses: Object.keys(op.responses ?? {}),
      });
    }
  }
  return ops;
}

export const fill = (path: string, id: string) => path.replace(/\{[^}]+\}/g, id);

export { STRONG_PASSWORD as PASSWORD } from '@parley/testkit/accounts';
export { registerUser, type TestUser as User } from '@parley/testkit/history';

/** An ended conversation, a minute old, whose turns alternate caller and agent. */
export function seedConversation(db: Database, userId: string, texts = ['hello there', 'hi, how can I help?']) {
  return seed(db, userId, {
    createdAt: new Date(Date.now() - 60_000),
    turns: texts.map((text, seq) => ({ role: seq % 2 ? 'agent' : 'user', text })),
  });
}

/** Everything one user owns (timestamps of bookkeeping excluded), for before/after equality. */
export async function snapshot(db: Database, userId: string) {
  const user = await db('users')
    .where({ id: userId })
    .first('id', 'email', 'password_hash', 'display_name', 'role', 'session_epoch', 'retention_days');
  const preferences = await db('user_preferences')
    .where({ user_id: userId })
    .first('tts_voice', 'language', 'favorite_topics', 'system_prompt');
  const conversations = await db('conversations')
    .where({ user_id: userId })
    .orderBy('id')
    .select('id', 'room', 'title', 'status', 'ended_at', 'end_reason', 'turn_count');
  const utterances = await db('utterances')
    .where({ user_id: userId })
    .orderBy(['conversation_id', 'seq'])
    .select('conversation_id', 'seq', 'role', 'text', 'interrupted');
  return { user: user ?? null, preferences: preferences ?? null, conversations, utterances };
}

/** Counts of every table: a refused injection must not add, drop or empty anything. */
export async function tableCounts(db: Database) {
  const rows = await db.raw(
    `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM user_preferences)::int AS prefs,
            (SELECT count(*) FROM conversations)::int AS conversations, (SELECT count(*) FROM utterances)::int AS utterances`,
  );
  return rows.rows[0] as Record<string, number>;
}

/** True when a body has the documented error shape { error: { code, message, details? } }. */
export function isErrorShape(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const e = (body as { error?: unknown }).error as Record<string, unknown> | undefined;
  if (!e || typeof e !== 'object') return false;
  const keys = Object.keys(e);
  return (
    typeof e.code === 'string' &&
    /^[a-z_]+$/.test(e.code) &&
    typeof e.message === 'string' &&
    keys.every((k) => ['code', 'message', 'details'].includes(k))
  );
}
