import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * Lets a parent start and stop a CPU profile of this process over IPC, so a profile covers only
 * the measured window (not start-up): `{ profile: 'start' }`, then `{ profile: 'stop', file }`,
 * answered with `{ profiled: file }`.
 */
export function answerProfileRequests(): void {
  let session: Session | null = null;
  process.on('message', (m: { profile?: 'start' | 'stop'; file?: string }) => {
    void (async () => {
      if (m.profile === 'start' && !session) {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 500 });
        await session.post('Profiler.start');
        process.send?.({ profiling: true });
      } else if (m.profile === 'stop' && session && m.file) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(m.file, JSON.stringify(profile));
        session.disconnect();
        session = null;
        process.send?.({ profiled: m.file });
      }
    })();
  });
}
