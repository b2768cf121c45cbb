import { uiLanguage } from '../i18n';

/**
 * Display helpers, all through Intl in the UI language (times in the reader's time zone).
 * Durations use Intl.NumberFormat units joined by Intl.ListFormat: Intl.DurationFormat is not in
 * Node 20 (the component tests) nor in every browser Parley supports.
 */

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.ListFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.ListFormat>(key: string, make: () => T): T {
  const k = `${uiLanguage()}|${key}`;
  let f = cache.get(k) as T | undefined;
  if (!f) cache.set(k, (f = make()));
  return f;
}

const unit = (u: 'hour' | 'minute' | 'second' | 'millisecond', n: number, maximumFractionDigits = 0) =>
  cached(
    `${u}:${maximumFractionDigits}`,
    () => new Intl.NumberFormat(uiLanguage(), { style: 'unit', unit: u, unitDisplay: 'short', maximumFractionDigits }),
  ).format(n);

export function formatClock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return cached(
    'clock',
    () => new Intl.DateTimeFormat(uiLanguage(), { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
  ).format(d);
}

export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return cached(
    'datetime',
    () => new Intl.DateTimeFormat(uiLanguage(), { dateStyle: 'medium', timeStyle: 'short' }),
  ).format(d);
}

export function formatNumber(n: number, maximumFractionDigits = 0): string {
  return cached(
    `num:${maximumFractionDigits}`,
    () => new Intl.NumberFormat(uiLanguage(), { maximumFractionDigits }),
  ).format(n);
}

function list(parts: string[]): string {
  return cached('list', () => new Intl.ListFormat(uiLanguage(), { style: 'narrow', type: 'unit' })).format(parts);
}

/** 42 s · 3 min 05 s · 1 h 12 min, in the UI language's units. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const total = Math.round(ms / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  if (m === 0) return unit('second', s);
  if (m < 60) return list([unit('minute', m), unit('second', s)]);
  return list([unit('hour', Math.floor(m / 60)), unit('minute', m % 60)]);
}

/** A running call timer: 0:07, 12:34, 1:02:03 (digits in the UI language). */
export function formatTimer(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) =>
    cached('2d', () => new Intl.NumberFormat(uiLanguage(), { minimumIntegerDigits: 2 })).format(n);
  const one = (n: number) => formatNumber(n);
  return h > 0 ? `${one(h)}:${two(m)}:${two(s)}` : `${one(m)}:${two(s)}`;
}

/** A latency: 850 ms, 1.2 s. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return ms >= 1000 ? unit('second', ms / 1000, ms >= 10_000 ? 0 : 1) : unit('millisecond', Math.round(ms));
}

/** "2024-05-01" (a date input's value) → ISO start or end of that local day. */
export function dayBoundary(day: string, end: boolean): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const date = end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d, 0, 0, 0, 0);
  return date.toISOString();
}

/** An estimated cost in US dollars: cents, or four decimals below one cent. */
export function formatUsd(usd: number): string {
  const digits = usd > 0 && usd < 0.01 ? 4 : 2;
  return cached(
    `usd:${digits}`,
    () =>
      new Intl.NumberFormat(uiLanguage(), {
        style: 'currency',
        currency: 'USD',
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      }),
  ).format(usd);
}

/** "2026-12" → "December 2026" in the UI language. */
export function formatMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return cached(
    'month',
    () => new Intl.DateTimeFormat(uiLanguage(), { year: 'numeric', month: 'long', timeZone: 'UTC' }),
  ).format(new Date(Date.UTC(y, m - 1, 1)));
}
