import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallerWait } from './caller-wait';

describe('CallerWait', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('ends with the reason of the wait once it runs out, and not before', () => {
    const ended: string[] = [];
    const wait = new CallerWait<string>((r) => ended.push(r));
    wait.start('caller_left', 1500);
    vi.advanceTimersByTime(1499);
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ended).toEqual(['caller_left']);
    expect(wait.pending).toBe(false);
  });

  it("a LiveKit restart's longer wait replaces a pending session-swap wait, with its reason", () => {
    const ended: string[] = [];
    const wait = new CallerWait<string>((r) => ended.push(r));
    wait.start('caller_left', 1500);
    vi.advanceTimersByTime(500);
    expect(wait.start('server_restarted', 15_000)).toBe(true);
    vi.advanceTimersByTime(1000); // the swap wait's deadline passes: nothing ends
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(14_000);
    expect(ended).toEqual(['server_restarted']);
  });

  it('a shorter wait does not cut a pending longer one short', () => {
    const ended: string[] = [];
    const wait = new CallerWait<string>((r) => ended.push(r));
    wait.start('server_restarted', 15_000);
    expect(wait.start('caller_left', 1500)).toBe(false);
    vi.advanceTimersByTime(1500);
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(13_500);
    expect(ended).toEqual(['server_restarted']);
  });

  it('ends nothing once cancelled (the caller came back)', () => {
    const ended: string[] = [];
    const wait = new CallerWait<string>((r) => ended.push(r));
    wait.start('server_restarted', 15_000);
    wait.cancel();
    vi.advanceTimersByTime(20_000);
    expect(ended).toEqual([]);
    expect(wait.pending).toBe(false);
  });
});
