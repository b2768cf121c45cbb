/** Small statistics helpers shared by the benchmarks (nearest-rank percentiles, rounded ms). */

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : Number.NaN;
  return {
    n: s.length,
    mean: round(mean),
    p50: round(percentile(s, 50)),
    p95: round(percentile(s, 95)),
    p99: round(percentile(s, 99)),
    p999: round(percentile(s, 99.9)),
    max: round(s.at(-1) ?? Number.NaN),
  };
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * 95 % bootstrap interval of a statistic comparing two samples (e.g. ratio of medians), from
 * `rounds` resamples with a fixed seed (reproducible). Says whether a difference is real at this n.
 */
export function bootstrapInterval(
  a: readonly number[],
  b: readonly number[],
  stat: (a: number[], b: number[]) => number,
  rounds = 2000,
): [number, number] {
  if (!a.length || !b.length) return [Number.NaN, Number.NaN];
  let seed = 42;
  const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const draw = (xs: readonly number[]) =>
    Array.from({ length: xs.length }, () => xs[Math.floor(rand() * xs.length)]!).sort((x, y) => x - y);
  const stats = Array.from({ length: rounds }, () => stat(draw(a), draw(b))).sort((x, y) => x - y);
  return [round(percentile(stats, 2.5), 3), round(percentile(stats, 97.5), 3)];
}
