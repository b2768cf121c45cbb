import { fork, type ChildProcess } from 'node:child_process';
import { log, loggerOptions, type JobExecutorFactory, type RunningJobInfo } from '@livekit/agents';

/**
 * Several calls per job process (AGENT_CALLS_PER_PROCESS, 4 by default: DEFAULT_CALLS_PER_PROCESS in
 * config.ts; 1 gives agents' own process per job; docs/performance.md, density).
 * agents 1.8.1 forks one process per job (ipc/job_proc_executor.ts); the Python framework can run
 * jobs as threads, agents-js has no such executor. Each job process holds a ~130 MB floor (Node,
 * agents and rtc-node, onnxruntime with Silero) and some CPU of its own, so this executor puts up
 * to `callsPerProcess` jobs in one *job host* process (job-host-main.ts) that loads the agent and
 * its models once. The worker's pool (ProcPool, through the `jobExecutorFactory` server option
 * added by patches/) still sees one executor per job: a HostedJob, which is a slot in a host.
 *
 * Isolation: a job that fails (its entry throws or rejects, its room is lost) ends alone, the
 * host and its other calls go on (e2e/calls/job-host.test.ts). A host process that dies (a crash
 * in native code, SIGKILL, out of memory) ends all its calls: each is reported failed to LiveKit,
 * and the gateway's agent recovery puts a new agent in each room, as for a job process today.
 */

/** The worker's requests to a job host (IPC, JSON). */
export type HostRequest =
  | { t: 'init'; loggerOptions: unknown; sessionEndTimeout: number }
  | { t: 'start'; id: string; info: RunningJobInfo }
  | { t: 'shutdown'; id: string; reason: string }
  | { t: 'exit' };

/** A job host's replies. `done` comes once per started job, `crashed` when its entry failed. */
export type HostReply =
  { t: 'ready' } | { t: 'initFailed'; error: string } | { t: 'done'; id: string; crashed: boolean };

type JobExecutor = ReturnType<JobExecutorFactory>;
type ExecutorOptions = Parameters<JobExecutorFactory>[0];

/** agents' JobStatus (ipc/job_executor.ts, not exported by the package). */
const RUNNING = 0;
const FAILED = 1;
const SUCCESS = 2;
/** How long an empty host is given to dispose of its native resources before it is killed. */
const EXIT_GRACE_MS = 5000;

export interface JobHostOptions {
  /** The host's entry (job-host-main.ts, or its bundle / compiled file). */
  hostMain: string;
  /** Calls one host process takes (idle slots of the worker's pool count too). */
  callsPerProcess: number;
}

/** One job host process: its slots (HostedJobs), started once, stopped when it has none left. */
class JobHost {
  readonly members = new Set<HostedJob>();
  readonly proc: ChildProcess;
  /** How the process ended: `code` 0 when it exited on its own (asked, once empty). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive = true;
  #ready: Promise<void> | null = null;
  #logger = log().child({ jobHost: true });

  constructor(hostMain: string, agent: string) {
    this.proc = fork(hostMain, [agent], { execArgv: process.execArgv });
    this.exited = new Promise((resolve) =>
      this.proc.once('exit', (code, signal) => {
        this.alive = false;
        if (this.members.size)
          this.#logger.warn(
            { pid: this.proc.pid, code, signal, calls: this.members.size },
            'job host exited with calls',
          );
        // A running call fails (LiveKit is told; the gateway recovers it); an idle slot moves to a live host.
        for (const m of [...this.members]) m.hostDied();
        resolve({ code, signal });
      }),
    );
    this.proc.on('error', (err) => this.#logger.warn({ errName: err.name, pid: this.proc.pid }, 'job host IPC error'));
    // A job's end goes to its slot.
    this.proc.on('message', (msg: HostReply) => {
      if (msg.t !== 'done') return;
      for (const m of this.members) if (m.runningJob?.job.id === msg.id) m.ended(msg.crashed);
    });
  }

  send(msg: HostRequest) {
    if (this.alive && this.proc.connected) this.proc.send(msg);
  }

  /** Initialises the host once (the first slot's initialize); the others wait for it. */
  initialize(sessionEndTimeout: number, timeoutMs: number): Promise<void> {
    this.#ready ??= new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('job host initialization timed out')), timeoutMs);
      const onMessage = (msg: HostReply) => {
        if (msg.t !== 'ready' && msg.t !== 'initFailed') return;
        clearTimeout(timer);
        this.proc.off('message', onMessage);
        if (msg.t === 'ready') resolve();
        else reject(new Error(`job host initialization failed: ${msg.error}`));
      };
      this.proc.on('message', onMessage);
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error('job host exited while initializing'));
      });
      this.send({ t: 'init', loggerOptions: loggerOptions(), sessionEndTimeout });
    });
    return this.#ready;
  }

  /** A slot left: an empty host exits (disposing of rtc-node first), or is killed after a grace. */
  leave(member: HostedJob) {
    this.members.delete(member);
    if (this.members.size || !this.alive) return;
    this.send({ t: 'exit' });
    this.alive = false; // takes no new slot
    const kill = setTimeout(() => this.proc.kill('SIGKILL'), EXIT_GRACE_MS);
    kill.unref();
    void this.exited.then(() => clearTimeout(kill));
  }

  kill() {
    this.proc.kill('SIGKILL');
  }
}

/** One job (or an idle slot waiting for one) in a job host, as agents' pool sees it. */
export class HostedJob implements JobExecutor {
  started = false;
  userArguments: unknown;
  runningJob: RunningJobInfo | undefined;
  #status = RUNNING;
  #host: JobHost | null = null;
  #done!: () => void;
  #joined = new Promise<void>((resolve) => (this.#done = resolve));
  #finished = false;
  /** Set once the slot's host is ready (what an idle slot needs to start again elsewhere). */
  #sessionEndTimeout: number | null = null;
  /** Set while an idle slot whose host died starts again in another (`hostDied`). */
  #moving: Promise<void> | null = null;

  constructor(
    private readonly opts: ExecutorOptions,
    private readonly pickHost: () => JobHost,
  ) {}

  /** The job host process this slot is in (0 before start). */
  get hostPid(): number {
    return this.#host?.proc.pid ?? 0;
  }

  /** Resolves when that process has ended, with its exit code or signal. */
  get hostExit() {
    if (!this.#host) throw new Error('job executor not started');
    return this.#host.exited;
  }

  get status(): JobExecutor['status'] {
    return this.#status as JobExecutor['status'];
  }

  async start() {
    if (this.started) throw new Error('job executor already started');
    this.started = true;
    const host = this.pickHost();
    this.#host = host;
    host.members.add(this);
  }

  async initialize({ sessionEndTimeout }: { sessionEndTimeout: number }) {
    try {
      await this.#host!.initialize(sessionEndTimeout, this.opts.initializeTimeout);
      this.#sessionEndTimeout = sessionEndTimeout;
    } catch (err) {
      // A host that cannot start takes none of its slots' calls.
      this.#host!.kill();
      this.#finish(FAILED);
      throw err;
    }
  }

  async launchJob(info: RunningJobInfo) {
    if (this.runningJob) throw new Error('job executor already has a running job');
    await this.#moving;
    if (this.#finished || !this.#host?.alive) throw new Error('job host is gone');
    this.runningJob = info;
    this.#status = RUNNING;
    this.#host.send({ t: 'start', id: info.job.id, info });
  }

  join() {
    return this.#joined;
  }

  /** Ends this slot's call (agents' shutdown request); the host and its other calls go on. */
  async close() {
    if (!this.started || this.#finished) return this.#joined;
    if (!this.runningJob) {
      this.#finish(SUCCESS);
      return this.#joined;
    }
    this.#host!.send({ t: 'shutdown', id: this.runningJob.job.id, reason: 'shutdown request' });
    const timedOut = await Promise.race([
      this.#joined.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), this.opts.closeTimeout).unref()),
    ]);
    if (timedOut) {
      log().warn({ jobId: this.runningJob.job.id }, 'hosted job did not end in time; giving up its slot');
      this.#finish(FAILED);
    }
  }

  /** This slot's job is done (`crashed`: its entry failed). */
  ended(crashed: boolean) {
    this.#finish(crashed ? FAILED : SUCCESS);
  }

  /**
   * Its host process ended. A running job failed with it. An idle slot starts again in a live host:
   * agents' pool holds a warm executor until a job takes it (it does not replace one whose process
   * ended), so a slot that ended with its host would be handed the next call and fail it.
   */
  hostDied() {
    const sessionEndTimeout = this.#sessionEndTimeout;
    // (A slot whose host dies while it initializes fails there: agents' pool then starts another.)
    if (this.runningJob || this.#finished || sessionEndTimeout === null) return this.#finish(FAILED);
    this.#host?.members.delete(this);
    const host = this.pickHost();
    this.#host = host;
    host.members.add(this);
    this.#moving = host.initialize(sessionEndTimeout, this.opts.initializeTimeout).catch(() => {
      host.kill();
      this.#finish(FAILED);
    });
  }

  #finish(status: number) {
    if (this.#finished) return;
    this.#finished = true;
    if (this.runningJob) this.#status = status;
    this.#host?.leave(this);
    this.#done();
  }
}

/** agents' `jobExecutorFactory` for job hosts of `callsPerProcess` calls each. */
export function jobHostExecutors({ hostMain, callsPerProcess }: JobHostOptions): JobExecutorFactory {
  const hosts: JobHost[] = [];
  return (opts) =>
    new HostedJob(opts, () => {
      for (let i = hosts.length - 1; i >= 0; i--) if (!hosts[i]!.alive) hosts.splice(i, 1);
      // The fullest host with room: calls gather in few processes, and emptied hosts exit.
      const open = hosts
        .filter((h) => h.members.size < callsPerProcess)
        .sort((a, b) => b.members.size - a.members.size)[0];
      if (open) return open;
      const host = new JobHost(hostMain, opts.agent);
      hosts.push(host);
      return host;
    });
}
