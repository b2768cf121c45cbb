import { randomUUID } from 'node:crypto';
import type { Database } from '@parley/db';
import { registerUser as register, STRONG_PASSWORD, uniqueEmail } from './accounts';
import type { TestGateway } from './gateway';
import { TestClient } from './http-client';

/**
 * Factories for history tests. Users are made through the real
 * POST /api/auth/register route, so each client holds a genuine session cookie. Conversations and
 * utterances are inserted directly with Knex: ingest is another feature's job and history only
 * reads what is stored.
 */

/** Gateway env for history tests: registrations from 127.0.0.1 must not hit the per-IP limit. */
export const HISTORY_TEST_ENV = { RATE_LIMIT_LOGIN_PER_IP: '1000' };

export interface TestUser {
  id: string;
  email: string;
  password: string;
  client: TestClient;
}

/** A user registered through the real route, with the client that holds its session. */
export async function registerUser(
  gw: TestGateway,
  name = 'user',
  headers: Record<string, string> = {},
): Promise<TestUser> {
  const client = new TestClient(gw.url);
  const email = uniqueEmail(name);
  const user = await register(client, { email, password: STRONG_PASSWORD, displayName: name, headers });
  return { ...user, client };
}

export interface SeedTurn {
  role: 'user' | 'agent';
  text: string;
  interrupted?: boolean;
  /** Typed in the call's text box instead of said. */
  typed?: boolean;
  metrics?: Record<string, number | null> | null;
}

export interface SeedConversationOptions {
  createdAt?: Date;
  title?: string | null;
  turns?: SeedTurn[];
  status?: 'created' | 'active' | 'ended';
  /** Defaults: started at createdAt, ended after the turns. */
  startedAt?: Date | null;
  endedAt?: Date | null;
  durationMs?: number | null;
}

/** Inserts an ended conversation with its turns (2 s apart); returns its id. */
export async function seedConversation(db: Database, userId: string, o: SeedConversationOptions = {}): Promise<string> {
  const id = randomUUID();
  const createdAt = o.createdAt ?? new Date();
  const turns = o.turns ?? [
    { role: 'user', text: 'Hello there' },
    { role: 'agent', text: 'Hi! How can I help?' },
  ];
  const startedAt = o.startedAt === undefined ? createdAt : o.startedAt;
  const base = (startedAt ?? createdAt).getTime();
  const endedAt = o.endedAt === undefined ? new Date(base + turns.length * 2000 + 1000) : o.endedAt;
  await db('conversations').insert({
    id,
    user_id: userId,
    room: `room-${id}`,
    title: o.title ?? null,
    status: o.status ?? 'ended',
    created_at: createdAt,
    started_at: startedAt,
    ended_at: endedAt,
    duration_ms:
      o.durationMs === undefined
        ? endedAt && startedAt
          ? endedAt.getTime() - startedAt.getTime()
          : null
        : o.durationMs,
    end_reason: endedAt ? 'caller_left' : null,
    turn_count: turns.length,
  });
  if (turns.length) {
    await db('utterances').insert(
      turns.map((t, seq) => ({
        conversation_id: id,
        user_id: userId,
        seq,
        role: t.role,
        text: t.text,
        language: 'en',
        started_at: new Date(base + seq * 2000),
        ended_at: new Date(base + seq * 2000 + 1500),
        interrupted: t.interrupted ?? false,
        typed: t.typed ?? false,
        metrics: t.metrics ? JSON.stringify(t.metrics) : null,
      })),
    );
  }
  return id;
}
