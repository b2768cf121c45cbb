/** Consecutive active days (UTC) ending today, or yesterday when today has no call yet. */
export function activeDayStreak(daysNewestFirst: string[], now: Date): number {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const active = new Set(daysNewestFirst);
  const cursor = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  if (!active.has(day(cursor))) cursor.setUTCDate(cursor.getUTCDate() - 1);
  let streak = 0;
  while (active.has(day(cursor))) {
    streak++;
    cursor.setUTCDate(cursor.getUTCDate() - 1);
  }
  return streak;
}
