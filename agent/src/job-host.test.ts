import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initializeLogger, type RunningJobInfo } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '@parley/tools';
import { BUNDLE_DIR, bundleEntry } from '../dev/bundle';
import { jobHostExecutors, type HostedJob } from './job-host';

/**
 * The executor contract agents' process pool relies on (start, initialize, launchJob, join, close,
 * status), against the real job host process. The agent here never joins a room: its entry fails
 * when the job's metadata says so, else it returns and the job lasts until it is shut down.
 * The calls themselves are tested end to end in e2e/calls/job-host.test.ts.
 */
const FAILED = 1;
const SUCCESS = 2;
const OPTS = {
  agent: '',
  initializeTimeout: 30_000,
  closeTimeout: 10_000,
  memoryWarnMB: 0,
  memoryLimitMB: 0,
  pingInterval: 2500,
  pingTimeout: 60_000,
  highPingThreshold: 500,
};
const info = (id: string, metadata = '') =>
  ({
    job: { id, metadata, room: { name: `room-${id}` } },
    acceptArguments: {},
    url: 'ws://127.0.0.1:1',
    token: '',
    workerId: 'w',
  }) as unknown as RunningJobInfo;

describe('job host executors', () => {
  const dir = path.join(BUNDLE_DIR, `job-host-test-${process.pid}`);
  let hostMain = '';
  let agent = '';
  beforeAll(async () => {
    // As the worker does first (main.ts); the host takes the worker's logger options.
    initializeLogger({ pretty: false, level: 'warn' });
    mkdirSync(dir, { recursive: true });
    agent = path.join(dir, 'agent.mjs');
    writeFileSync(
      agent,
      `import { defineAgent } from '@livekit/agents';
export default defineAgent({
  entry: async (ctx) => {
    if (ctx.job.metadata === 'fail') throw new Error('broken job');
  },
});
`,
    );
    hostMain = await bundleEntry(path.join(import.meta.dirname, 'job-host-main.ts'), 'job-host-test', dir);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const slots = async (factory: ReturnType<typeof jobHostExecutors>, n: number) => {
    const all = Array.from({ length: n }, () => factory({ ...OPTS, agent }));
    for (const s of all) {
      await s.start();
      await s.initialize({ sessionEndTimeout: 1000 });
    }
    return all as Array<(typeof all)[number] & Pick<HostedJob, 'hostPid' | 'hostExit'>>;
  };

  it('puts up to callsPerProcess jobs in one process, ends a failing one alone, closes one on request', async () => {
    const [a, b, c, d] = await slots(jobHostExecutors({ hostMain, callsPerProcess: 3 }), 4);
    expect(new Set([a!.hostPid, b!.hostPid, c!.hostPid]).size).toBe(1);
    expect(d!.hostPid).not.toBe(a!.hostPid);
    await a!.launchJob(info('a'));
    await b!.launchJob(info('b', 'fail'));
    await b!.join();
    expect(b!.status).toBe(FAILED);
    expect(isAlive(a!.hostPid)).toBe(true);
    await a!.close();
    expect(a!.status).toBe(SUCCESS);
    // c (idle) still holds the first host; closing it empties the host, which exits.
    expect(isAlive(c!.hostPid)).toBe(true);
    // An emptied host exits on its own (asked by the worker; code 0), not killed after its grace.
    await c!.close();
    expect(await c!.hostExit).toEqual({ code: 0, signal: null });
    await d!.close();
    expect(await d!.hostExit).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('fails the running job of a host that dies; its idle slot starts again in a new host and takes the next job', async () => {
    const [a, b] = await slots(jobHostExecutors({ hostMain, callsPerProcess: 2 }), 2);
    const deadPid = a!.hostPid;
    expect(b!.hostPid).toBe(deadPid);
    await a!.launchJob(info('x'));
    process.kill(deadPid, 'SIGKILL');
    await a!.join();
    expect(await a!.hostExit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(a!.status).toBe(FAILED);
    // agents' pool keeps the idle slot as a warm executor: it lives on, in another process.
    let bJoined = false;
    void b!.join().then(() => (bJoined = true));
    await b!.launchJob(info('y'));
    expect(b!.hostPid).not.toBe(deadPid);
    expect(isAlive(b!.hostPid)).toBe(true);
    expect(bJoined).toBe(false);
    expect(b!.runningJob?.job.id).toBe('y');
    await b!.close();
    expect(b!.status).toBe(SUCCESS);
    expect(await b!.hostExit).toEqual({ code: 0, signal: null });
  }, 60_000);
});
