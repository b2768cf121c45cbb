/**
 * A job host: one process that runs several calls (AGENT_CALLS_PER_PROCESS > 1), forked by the
 * worker's job-host.ts with the agent file (job.ts) as its argument. The agent and its prewarmed
 * models (Silero) load once and are shared; each call gets its own room, JobContext and session.
 * Each job's life follows agents 1.8.1's own job process (ipc/job_proc_lazy_main.ts, which runs
 * exactly one job and is not exported): the entry runs in the job's context, a shutdown or a lost
 * room closes it, then the session ends, the room is left and the shutdown callbacks run.
 */
import { EventEmitter, once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Room, RoomEvent, dispose } from '@livekit/rtc-node';
import {
  initializeLogger,
  JobContext,
  JobProcess,
  log,
  runWithJobContextAsync,
  type AgentDefinition,
  type RunningJobInfo,
} from '@livekit/agents';
import type { HostReply, HostRequest } from './job-host';

/** agents' own bounds (job_lifecycle.ts): the entry's end after a shutdown, the session's close. */
const ENTRY_SHUTDOWN_MS = 15_000;
const SESSION_CLOSE_MS = 60_000;
/** A room disconnect LiveKit never answers must not hold a slot (a job process would exit). */
const ROOM_LEAVE_MS = 10_000;

const send = (msg: HostReply) => {
  if (process.connected) process.send?.(msg);
};
/** Whether `p` settled (resolved or rejected) within `ms`. */
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
  ]);

// job.ts reads it: a stuck call must not end the process (its other calls with it).
process.env.PARLEY_JOB_HOST = '1';
// As agents' job processes: the worker stops its children itself (drain, then SIGKILL).
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
// A rejection nobody handled belongs to one call's work; it must not end the others.
process.on('unhandledRejection', (reason) =>
  log().debug({ errName: (reason as Error)?.name }, 'unhandled promise rejection in job host'),
);

const jobs = new Map<string, EventEmitter>();
let agent: AgentDefinition<Record<string, unknown>> | null = null;
const proc = new JobProcess();
let exitRequested = false;

async function runJob(info: RunningJobInfo, sessionEndTimeout: number) {
  const id = info.job.id;
  const logger = log().child({ jobID: id });
  const closing = new EventEmitter();
  jobs.set(id, closing);
  let shutdown = false;
  let crashed = false;
  const room = new Room();
  room.on(RoomEvent.Disconnected, () => {
    if (!shutdown) closing.emit('close', 'room disconnected');
  });
  const ctx = new JobContext(
    proc,
    info,
    room,
    () => undefined,
    (reason: string) => {
      shutdown = true;
      closing.emit('close', reason);
    },
    {
      // Parley's turn detection is VAD: no inference process (local-eot.ts).
      doInference: async (method: string) => {
        throw new Error(`inference ${method} unavailable in a job host`);
      },
    },
  );
  try {
    const closed = once(closing, 'close').then(() => {
      shutdown = true;
    });
    const entry = runWithJobContextAsync(ctx, () => agent!.entry(ctx));
    entry.catch((err: Error) => {
      crashed = true;
      logger.error(
        { errName: err?.name, errMessage: err?.message },
        'job entry failed; its call ends, the host goes on',
      );
      closing.emit('close', 'job crashed');
    });
    await closed;
    if (!(await within(entry, ENTRY_SHUTDOWN_MS))) logger.warn('job entry did not end in time; cleaning up');
    await runWithJobContextAsync(ctx, async () => {
      const session = ctx._primaryAgentSession;
      if (session) await within(session.close(), SESSION_CLOSE_MS);
      if (agent!.onSessionEnd) await within(Promise.resolve(agent!.onSessionEnd(ctx)), sessionEndTimeout);
      await ctx._onSessionEnd().catch(() => undefined);
      if (!(await within(room.disconnect(), ROOM_LEAVE_MS))) logger.warn('room disconnect unanswered');
      const results = await Promise.allSettled(ctx.shutdownCallbacks.map((cb) => Promise.resolve().then(cb)));
      for (const r of results)
        if (r.status === 'rejected') logger.error({ errName: (r.reason as Error)?.name }, 'shutdown callback failed');
    });
  } finally {
    jobs.delete(id);
    send({ t: 'done', id, crashed });
    void exitIfDone();
  }
}

async function exitIfDone() {
  if (!exitRequested || jobs.size) return;
  // As agents' job process: rtc-node's native runtime is disposed of before exiting.
  await dispose().catch(() => undefined);
  process.exit(0);
}

let sessionEndTimeout = 0;
process.on('message', (msg: HostRequest) => {
  switch (msg.t) {
    case 'init':
      void (async () => {
        try {
          initializeLogger(msg.loggerOptions as Parameters<typeof initializeLogger>[0]);
          sessionEndTimeout = msg.sessionEndTimeout;
          const mod = await import(pathToFileURL(process.argv[2]!).href);
          agent = (mod.default?.entry ? mod.default : mod.default?.default) as AgentDefinition<Record<string, unknown>>;
          if (!agent?.entry) throw new Error(`no agent exported by ${process.argv[2]}`);
          await agent.prewarm?.(proc);
          send({ t: 'ready' });
        } catch (err) {
          send({ t: 'initFailed', error: (err as Error).message });
        }
      })();
      break;
    case 'start':
      void runJob(msg.info, sessionEndTimeout);
      break;
    case 'shutdown':
      jobs.get(msg.id)?.emit('close', msg.reason);
      break;
    case 'exit':
      exitRequested = true;
      void exitIfDone();
      break;
  }
});
// The worker gone: each call's orphan watch (job.ts) leaves it; the host exits once they have.
process.on('disconnect', () => {
  exitRequested = true;
  void exitIfDone();
});
