// Preloaded with NODE_OPTIONS="--import=<this file>" and BENCH_WINDOW_DIR set: a benchmark marks
// its measured window in this process with SIGUSR2 (first: start, second: stop). Over the window
// it records event-loop delay, garbage collection pauses and CPU time, and with
// BENCH_WINDOW_PROFILE=1 a CPU profile; on stop it writes <dir>/<pid>.cpuprofile (if profiling),
// then <dir>/<pid>.window.json (the parent waits for that file). Benchmarks only.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, constants } from 'node:perf_hooks';

const dir = process.env.BENCH_WINDOW_DIR;
if (dir) {
  const profile = process.env.BENCH_WINDOW_PROFILE === '1';
  const GC_KINDS = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  let window = null;
  const RESOLUTION_MS = 10;
  // The histogram holds the time between its timer's turns: the delay is what exceeds the interval.
  const ms = (ns) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);
  const post = (session, method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))),
    );
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!window) {
        const eld = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
        const gc = { count: 0, totalMs: 0, maxMs: 0, byKind: {} };
        const observer = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) {
            gc.count++;
            gc.totalMs += e.duration;
            gc.maxMs = Math.max(gc.maxMs, e.duration);
            const kind = GC_KINDS[e.detail?.kind] ?? 'other';
            const k = (gc.byKind[kind] ??= { count: 0, totalMs: 0 });
            k.count++;
            k.totalMs += e.duration;
          }
        });
        observer.observe({ entryTypes: ['gc'] });
        let session = null;
        if (profile) {
          session = new Session();
          session.connect();
          await post(session, 'Profiler.enable');
          await post(session, 'Profiler.setSamplingInterval', { interval: 500 });
          await post(session, 'Profiler.start');
        }
        eld.enable();
        window = { eld, gc, observer, session, cpu: process.cpuUsage(), t0: performance.now() };
      } else {
        const w = window;
        window = null;
        w.eld.disable();
        w.observer.disconnect();
        const cpu = process.cpuUsage(w.cpu);
        const wallMs = performance.now() - w.t0;
        if (w.session) {
          const { profile: p } = await post(w.session, 'Profiler.stop');
          writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(p));
          w.session.disconnect();
        }
        const round = (x) => Math.round(x * 100) / 100;
        writeFileSync(
          path.join(dir, `${process.pid}.window.json`),
          JSON.stringify({
            wallMs: Math.round(wallMs),
            cpu: {
              userMs: Math.round(cpu.user / 1000),
              systemMs: Math.round(cpu.system / 1000),
              cores: round((cpu.user + cpu.system) / 1000 / wallMs),
            },
            eventLoopDelay: {
              p50: ms(w.eld.percentile(50)),
              p99: ms(w.eld.percentile(99)),
              max: ms(w.eld.max),
              mean: Math.round(ms(w.eld.mean) * 100) / 100,
            },
            gc: {
              count: w.gc.count,
              totalMs: round(w.gc.totalMs),
              maxMs: round(w.gc.maxMs),
              share: round(w.gc.totalMs / wallMs),
              byKind: Object.fromEntries(
                Object.entries(w.gc.byKind).map(([k, v]) => [k, { count: v.count, totalMs: round(v.totalMs) }]),
              ),
            },
          }),
        );
      }
    })();
  });
}
