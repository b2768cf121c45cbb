import type { Database } from '@parley/db';

/**
 * Bulk seeding for the history benchmark, done inside Postgres with generate_series (one INSERT …
 * SELECT per table, full-text index rebuilt once at the end) so a million utterances take seconds
 * rather than a million round trips. Text is drawn from a Zipf-like vocabulary: a few words are in
 * most turns, most words are rare; the benchmark's query words are planted at known frequencies.
 */

/** Query words and how the seed makes them frequent. */
export const WORDS = {
  /** In roughly a third of all turns. */
  common: 'weather',
  /** Planted in exactly RARE_HITS turns of the measured user. */
  rare: 'zeppelin',
  /** Two mid-frequency words that co-occur in a few percent of turns. */
  twoWord: 'garden tomorrow',
};
export const RARE_HITS = 12;

const HEAD = [
  'the',
  'to',
  'and',
  'you',
  'i',
  'a',
  'is',
  'it',
  'that',
  'what',
  'of',
  'in',
  'we',
  'can',
  'for',
  'my',
  'about',
  'weather',
  'like',
  'do',
  'this',
  'me',
  'have',
  'so',
  'just',
  'think',
  'how',
  'would',
  'time',
  'be',
  'garden',
  'today',
  'good',
  'know',
  'want',
  'tomorrow',
  'maybe',
  'really',
  'there',
  'some',
];
const SYL = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'ta',
  'shi',
  'vo',
  'pe',
  'da',
  'zu',
  'fa',
  'gri',
  'bel',
  'mon',
  'tas',
  'quo',
  'hen',
  'wir',
  'sel',
];

/** ~4,000 words: common English first, then pseudo-words (never the rare query word). */
export function vocabulary(): string[] {
  const words = [...HEAD];
  for (let i = 0; words.length < 4000; i++) {
    const w = SYL[i % 20]! + SYL[Math.floor(i / 20) % 20]! + (i >= 400 ? SYL[Math.floor(i / 400) % 20]! : '');
    if (!words.includes(w)) words.push(w);
  }
  return words;
}

export interface SeedPlan {
  userId: string;
  /** Conversation ids the benchmark needs: the 500-turn one. */
  longConversationId: string;
}

async function seedUserConversations(
  db: Database,
  userIds: string[],
  conversationsPerUser: number,
  turnsPerConversation: number,
  startIso: string,
): Promise<void> {
  // Conversations spread over two years, every user in parallel.
  await db.raw(
    `INSERT INTO conversations (id, user_id, room, status, created_at, started_at, ended_at, duration_ms, end_reason, turn_count)
     SELECT gen_random_uuid(), u.id, 'bench-' || u.id || '-' || g, 'ended', t, t, t + interval '5 minutes', 300000, 'caller_left', ?
     FROM unnest(?::uuid[]) AS u(id), generate_series(1, ?) AS g,
          LATERAL (SELECT ?::timestamptz + (g * interval '3 hours') + (random() * interval '1 hour') AS t) ts`,
    [turnsPerConversation, userIds, conversationsPerUser, startIso],
  );
}

async function seedUtterances(db: Database, userIds: string[]): Promise<void> {
  const vocab = vocabulary();
  // power(random(), 3) skews towards the head of the list (Zipf-like); the correlated reference
  // to s makes Postgres draw fresh words for every row.
  await db.raw(
    `INSERT INTO utterances (conversation_id, user_id, seq, role, text, language, started_at, ended_at, metrics)
     SELECT c.id, c.user_id, s, CASE WHEN s % 2 = 0 THEN 'user' ELSE 'agent' END,
            (SELECT string_agg((?::text[])[1 + floor(power(random(), 3) * ?)::int], ' ')
               FROM generate_series(1, 6 + (s % 11) + (0 * length(c.room)))),
            'en', c.started_at + s * interval '4 seconds', c.started_at + s * interval '4 seconds' + interval '3 seconds',
            CASE WHEN s % 2 = 1 THEN jsonb_build_object('e2eLatencyMs', 600 + floor(random() * 600)) END
     FROM conversations c, generate_series(0, c.turn_count - 1) AS s
     WHERE c.user_id = ANY(?::uuid[])`,
    [vocab, vocab.length, userIds],
  );
}

/**
 * Seeds one measured user with 100,000 utterances (4,975 conversations of 20 turns plus one of
 * 500), and with `others` > 0, that many more utterances across other users (1,000 each).
 */
export async function seedHistory(
  db: Database,
  options: { passwordHash: string; email: string; others: number },
): Promise<SeedPlan> {
  // The full-text indexes (tsv, and the per-bucket terms of migration 016) are built once at the
  // end, as the migrations define them, rather than maintained row by row.
  const textIndexes = (
    await db.raw(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'utterances' AND indexname IN ('utterances_tsv_idx', 'utterances_bucket_terms_idx')`,
    )
  ).rows as Array<{ indexname: string; indexdef: string }>;
  for (const index of textIndexes) await db.raw(`DROP INDEX ${index.indexname}`);
  const [user] = await db('users')
    .insert({ email: options.email, password_hash: options.passwordHash, display_name: 'Bench' })
    .returning('id');
  const userId = user.id as string;
  await seedUserConversations(db, [userId], 4975, 20, '2023-01-01T00:00:00Z');
  // The long conversation sits in the middle of the history.
  const [long] = await db('conversations')
    .insert({
      id: db.raw('gen_random_uuid()'),
      user_id: userId,
      room: 'bench-long',
      status: 'ended',
      created_at: '2023-12-01T10:00:00Z',
      started_at: '2023-12-01T10:00:00Z',
      ended_at: '2023-12-01T11:00:00Z',
      duration_ms: 3_600_000,
      turn_count: 500,
    })
    .returning('id');
  await seedUtterances(db, [userId]);

  if (options.others > 0) {
    const perUser = 1000;
    const n = Math.ceil(options.others / perUser);
    const others = (
      await db.raw(
        `INSERT INTO users (email, password_hash, display_name)
         SELECT 'other-' || g || '@bench.test', 'x', 'Other ' || g FROM generate_series(1, ?) g RETURNING id`,
        [n],
      )
    ).rows.map((r: { id: string }) => r.id);
    for (let i = 0; i < others.length; i += 100) {
      const chunk = others.slice(i, i + 100);
      await seedUserConversations(db, chunk, perUser / 20, 20, '2023-06-01T00:00:00Z');
      await seedUtterances(db, chunk);
    }
  }
  // Plant the rare word in RARE_HITS turns of the measured user, spread over the history.
  await db.raw(
    `UPDATE utterances SET text = text || ' ' || ? WHERE id IN (
       SELECT id FROM utterances WHERE user_id = ? AND id % 8000 = 17 LIMIT ?)`,
    [WORDS.rare, userId, RARE_HITS],
  );
  for (const index of textIndexes) await db.raw(index.indexdef);
  // What a database that has been running for a while has done since such a load: vacuumed and
  // analysed (autovacuum is off on the CI's Postgres), and the load written out by a checkpoint,
  // which would otherwise be spread over the measurement (checkpoint_completion_target 0.9 of
  // checkpoint_timeout 5 min) and the kernel's write-back of the dirty pages with it.
  await db.raw('VACUUM ANALYZE');
  await db.raw('CHECKPOINT');
  return { userId, longConversationId: long.id ?? long };
}
