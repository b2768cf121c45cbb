import type { Database } from '@parley/db';
import { registerUser, STRONG_PASSWORD, uniqueEmail } from './accounts';
import { ingest, utterance } from './calls';
import { TestClient } from './http-client';

/**
 * Backup tests: a database filled through the gateway's own HTTP API (accounts, preferences,
 * calls with their utterances as the agent sends them, share links), and every table read back
 * row by row for comparison.
 */

export interface PopulatedAccount {
  email: string;
  password: string;
  conversationIds: string[];
  shareTokens: string[];
}

async function ok<T>(what: string, reply: Promise<{ status: number; text: string; body: T }>, status: number) {
  const r = await reply;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r.body;
}

/** Two accounts, each with preferences, two ended calls of four turns and a share link. */
export async function populateThroughApi(baseUrl: string, ingestSecret?: string): Promise<PopulatedAccount[]> {
  const accounts: PopulatedAccount[] = [];
  for (const [i, name] of ['Ada', 'Grace'].entries()) {
    const c = new TestClient(baseUrl);
    const email = uniqueEmail(name.toLowerCase());
    await registerUser(c, { email, password: STRONG_PASSWORD, displayName: name });
    const current = await ok<{ preferences: Record<string, unknown> }>(
      'preferences',
      c.get('/api/me/preferences'),
      200,
    );
    await ok(
      'preferences',
      c.put('/api/me/preferences', {
        ...current.preferences,
        favoriteTopics: ['jazz', `topic ${i}`],
        systemPrompt: `Be brief, ${name}.`,
      }),
      200,
    );
    const conversationIds: string[] = [];
    const shareTokens: string[] = [];
    for (let call = 0; call < 2; call++) {
      const { conversationId } = await ok<{ conversationId: string }>('call', c.post('/api/calls', {}), 201);
      const start = Date.UTC(2026, 0, 2 + call, 9, i);
      const turns = [0, 1, 2, 3].map((seq) =>
        utterance(seq, {
          text: `${name} call ${call} turn ${seq} — ünïcödé ✓ "quotes" and 'apostrophes'`,
          startedAt: new Date(start + seq * 2000).toISOString(),
          endedAt: new Date(start + seq * 2000 + 1500).toISOString(),
          metrics:
            seq % 2
              ? {
                  endOfUtteranceDelayMs: 300,
                  transcriptionDelayMs: 20,
                  llmTtftMs: 120 + seq,
                  ttsTtfbMs: 80 + seq,
                  e2eLatencyMs: 900 + seq,
                }
              : null,
        }),
      );
      const events = [
        { type: 'call_started' as const, at: new Date(start).toISOString() },
        ...turns.map((u) => ({ type: 'utterance' as const, utterance: u })),
        { type: 'call_ended' as const, at: new Date(start + 9000).toISOString(), reason: 'caller_left' as const },
      ];
      await ok('ingest', ingest(baseUrl, conversationId, events, ...(ingestSecret ? [ingestSecret] : [])), 200);
      conversationIds.push(conversationId);
    }
    const share = await ok<{ token: string }>(
      'share',
      c.post('/api/shares', { conversationId: conversationIds[0], includeLatency: true }),
      201,
    );
    shareTokens.push(share.token);
    accounts.push({ email, password: STRONG_PASSWORD, conversationIds, shareTokens });
  }
  return accounts;
}

/** Every table of the public schema, each as its rows (JSON text, sorted): equal maps = equal data. */
export async function tableRows(db: Database): Promise<Record<string, string[]>> {
  const tables = (await db('information_schema.tables')
    .where({ table_schema: 'public', table_type: 'BASE TABLE' })
    .orderBy('table_name')
    .pluck('table_name')) as string[];
  const out: Record<string, string[]> = {};
  for (const t of tables) {
    const rows = (await db(t).select('*')) as Record<string, unknown>[];
    out[t] = rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).sort()))).sort();
  }
  return out;
}
