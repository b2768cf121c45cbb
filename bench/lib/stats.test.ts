import { describe, expect, it } from 'vitest';
import { meets, targetText } from './report';
import { percentile, summarize } from './stats';

describe('percentile (nearest rank)', () => {
  it('picks the value at rank ceil(p/100 · n)', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 99.9)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarizes unsorted input', () => {
    expect(summarize([3, 1, 2, 10])).toMatchObject({ n: 4, p50: 2, p95: 10, max: 10, mean: 4 });
  });
});

describe('targets', () => {
  it('checks ≤ and ≥ targets and leaves figures without one unchecked', () => {
    expect(meets({ name: 'p99', value: 9.9, unit: 'ms', target: { op: '<=', value: 10 } })).toBe(true);
    expect(meets({ name: 'p99', value: 10.1, unit: 'ms', target: { op: '<=', value: 10 } })).toBe(false);
    expect(meets({ name: 'calls', value: 8, unit: 'calls', target: { op: '>=', value: 24 } })).toBe(false);
    expect(meets({ name: 'x', value: 1, unit: '' })).toBeNull();
    expect(meets({ name: 'x', value: null, unit: '', target: { op: '<=', value: 1 } })).toBeNull();
    expect(targetText({ name: 'p99', value: 1, unit: 'ms', target: { op: '<=', value: 10 } })).toBe('≤ 10 ms');
  });
});

describe('bootstrap interval', () => {
  it('brackets a clear difference and straddles none when the samples are alike', async () => {
    const { bootstrapInterval } = await import('./stats');
    const a = Array.from({ length: 30 }, (_, i) => 1000 + i);
    const b = Array.from({ length: 30 }, (_, i) => 1200 + i);
    const diff = bootstrapInterval(a, b, (x, y) => percentile(x, 50) - percentile(y, 50));
    expect(diff[1]).toBeLessThan(0);
    const same = bootstrapInterval(a, a, (x, y) => percentile(x, 50) - percentile(y, 50));
    expect(same[0]).toBeLessThanOrEqual(0);
    expect(same[1]).toBeGreaterThanOrEqual(0);
  });
});
