// Preloaded with NODE_OPTIONS="--import=<this file>" and BENCH_PROFILE_DIR set: CPU-profiles the
// process in 5 s slices, each written to <dir>/<pid>-<n>.cpuprofile, so processes that are killed
// rather than exiting (agent job processes) still leave their profile behind. Benchmarks only.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let n = 0;
  const start = () =>
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 1000 }, () => session.post('Profiler.start')),
    );
  const dump = () =>
    session.post('Profiler.stop', (err, res) => {
      if (!err && res?.profile)
        writeFileSync(path.join(dir, `${process.pid}-${n++}.cpuprofile`), JSON.stringify(res.profile));
    });
  start();
  setInterval(() => {
    dump();
    start();
  }, 5000).unref();
  process.on('exit', dump);
}
