import type { ChildProcess } from 'node:child_process';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { nowMs, round } from './stats';

/** One event-loop stall or GC pause seen inside a benchmark's child server. */
export interface Pause {
  /** Wall-clock start (ms since the epoch, the same clock as stats' nowMs). */
  at: number;
  ms: number;
  what: 'loop' | 'gc-minor' | 'gc-major' | 'gc-other';
  /** V8 heap in use when a GC pause was reported (MB). */
  heapMb?: number;
}

const LOOP_TICK_MS = 10;
const LOOP_REPORT_MS = 25;
const GC_REPORT_MS = 5;

/**
 * In a child server: reports over IPC every event-loop stall over LOOP_REPORT_MS (a 10 ms timer
 * firing late) and every GC pause over GC_REPORT_MS, as `{ pause: Pause }`, so the parent can line
 * them up with late deliveries. Costs one timer per 10 ms.
 */
export function reportPauses(): void {
  let expected = nowMs() + LOOP_TICK_MS;
  setInterval(() => {
    const t = nowMs();
    const late = t - expected;
    if (late > LOOP_REPORT_MS) process.send?.({ pause: { at: expected, ms: round(late, 1), what: 'loop' } });
    expected = t + LOOP_TICK_MS;
  }, LOOP_TICK_MS).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration < GC_REPORT_MS) continue;
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      // perf_hooks.constants: NODE_PERFORMANCE_GC_MINOR 1 (scavenge), _MAJOR 4 (mark-compact), _INCREMENTAL 8, _WEAKCB 16.
      const what = kind === 1 ? 'gc-minor' : kind === 4 ? 'gc-major' : 'gc-other';
      const heapMb = round(process.memoryUsage().heapUsed / 1048576, 1);
      process.send?.({ pause: { at: performance.timeOrigin + e.startTime, ms: round(e.duration, 1), what, heapMb } });
    }
  }).observe({ entryTypes: ['gc'] });
}

/** In the parent: collects a child's reported pauses. */
export function collectPauses(child: ChildProcess): Pause[] {
  const out: Pause[] = [];
  child.on('message', (m: { pause?: Pause }) => m.pause && out.push(m.pause));
  return out;
}
