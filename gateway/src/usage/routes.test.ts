import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { HISTORY_TEST_ENV, registerUser, seedConversation } from '@parley/testkit/history';
import { activeDayStreak } from './usage';

const DAY = 86_400_000;

describe('GET /api/me/usage', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: HISTORY_TEST_ENV });
  });
  afterAll(async () => gw?.stop());

  it('sums calls, minutes and turns, takes the median e2e latency and counts the active-day streak', async () => {
    const u = await registerUser(gw, 'talker');
    const other = await registerUser(gw, 'other');
    const db = gw.database.db;
    const m = (e2e: number | null) => ({
      endOfUtteranceDelayMs: 1,
      transcriptionDelayMs: 1,
      llmTtftMs: 1,
      ttsTtfbMs: 1,
      e2eLatencyMs: e2e,
    });
    const now = Date.now();
    // Today, yesterday, the day before: streak 3; a gap, then an older call.
    await seedConversation(db, u.id, {
      createdAt: new Date(now),
      durationMs: 90_000,
      turns: [
        { role: 'user', text: 'a' },
        { role: 'agent', text: 'b', metrics: m(400) },
        { role: 'user', text: 'c' },
        { role: 'agent', text: 'd', metrics: m(1000) },
      ],
    });
    await seedConversation(db, u.id, {
      createdAt: new Date(now - DAY),
      durationMs: 30_000,
      turns: [
        { role: 'agent', text: 'e', metrics: m(600) },
        { role: 'agent', text: 'f', metrics: m(null) },
      ],
    });
    await seedConversation(db, u.id, { createdAt: new Date(now - 2 * DAY), durationMs: 60_000, turns: [] });
    await seedConversation(db, u.id, {
      createdAt: new Date(now - 5 * DAY),
      durationMs: 60_000,
      turns: [{ role: 'user', text: 'g' }],
    });
    // Never started (token issued, nobody joined): not a call.
    await seedConversation(db, u.id, {
      createdAt: new Date(now),
      startedAt: null,
      endedAt: null,
      durationMs: null,
      turns: [],
    });
    await seedConversation(db, other.id, { durationMs: 999_000, turns: [{ role: 'agent', text: 'x', metrics: m(5) }] });

    const r = await u.client.get('/api/me/usage');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ calls: 4, minutesTalked: 4, turns: 7, medianTurnLatencyMs: 600, activeDayStreak: 3 });
  });

  it('is all zeros for a new account', async () => {
    const u = await registerUser(gw, 'newbie');
    expect((await u.client.get('/api/me/usage')).body).toEqual({
      calls: 0,
      minutesTalked: 0,
      turns: 0,
      medianTurnLatencyMs: null,
      activeDayStreak: 0,
    });
  });

  it('keeps a streak alive until the end of the day after the last call', () => {
    const now = new Date('2025-03-10T08:00:00Z');
    expect(activeDayStreak(['2025-03-09', '2025-03-08', '2025-03-06'], now)).toBe(2);
    expect(activeDayStreak(['2025-03-10', '2025-03-09'], now)).toBe(2);
    expect(activeDayStreak(['2025-03-08'], now)).toBe(0);
    expect(activeDayStreak(['2025-03-01', '2025-02-28'], new Date('2025-03-01T23:59:00Z'))).toBe(2);
  });
});
