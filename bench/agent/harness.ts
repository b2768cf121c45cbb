// Shared by turn, bargein and density: the stack (LiveKit server, fakes, gateway, Parley's agent
// worker), the bare baseline worker (bench/baseline-agent.ts), callers for both arms, and one
// measured turn as the caller hears it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { descendantPids, freePort, signalDescendants } from '@parley/tools';
import { synthesizeSpeechWav, type TestClient } from '@parley/testkit';
import { voicedSpan } from '@parley/testkit/speech';
import {
  joinCall,
  startCall,
  trailingSilenceMs,
  VOICED_RMS,
  waitForAgentState,
  type Caller,
} from '@parley/testkit/caller';
import { participantToken } from '@parley/testkit/livekit';
import { STACK_ENDPOINT_SILENCE_MS, startStack, type Stack, type StackOptions } from '@parley/testkit/stack';
import { rssMb } from '../lib/proc';
import { sleep } from '../lib/stats';

const repoRoot = path.resolve(import.meta.dirname, '../..');
export const MIN_INTERRUPTION_MS = 350; // Parley's default (AGENT_MIN_INTERRUPTION_MS); the baseline gets the same
export const FAKES = {
  deepgramEndpointingMs: STACK_ENDPOINT_SILENCE_MS,
  deepgramFinalDelayMs: 0,
  llmTtftMs: 100,
  ttsTtfbMs: 80,
};

export type ArmName = 'parley' | 'baseline';

export interface BaselineWorker {
  process: ChildProcess;
  agentName: string;
  metricsFile: string;
  /** The end of what the worker wrote to stderr (it logs at warn). */
  stderrTail(): string;
  stop(): Promise<void>;
}

export async function startBaselineWorker(
  stack: Stack,
  idleProcesses: number,
  extraEnv: Record<string, string> = {},
): Promise<BaselineWorker> {
  const port = await freePort();
  const agentName = `bench-baseline-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-baseline-'));
  const metricsFile = path.join(dir, 'metrics.jsonl');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench/baseline-agent.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LIVEKIT_URL: stack.livekit.url,
      LIVEKIT_API_KEY: stack.livekit.apiKey,
      LIVEKIT_API_SECRET: stack.livekit.apiSecret,
      BASELINE_AGENT_NAME: agentName,
      BASELINE_HEALTH_PORT: String(port),
      BASELINE_IDLE_PROCESSES: String(idleProcesses),
      BASELINE_METRICS_FILE: metricsFile,
      DEEPGRAM_BASE_URL: stack.fakes.deepgram.url,
      OPENAI_BASE_URL: stack.fakes.openai.baseURL,
      CARTESIA_BASE_URL: stack.fakes.cartesia.baseUrl,
      MIN_INTERRUPTION_MS: String(MIN_INTERRUPTION_MS),
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const errors: string[] = [];
  child.stderr!.on('data', (b: Buffer) => errors.push(b.toString()) > 200 && errors.shift());
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`baseline worker exited: ${errors.join('').slice(-2000)}`);
    if (
      await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) }).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error('baseline worker did not register within 60 s');
    await sleep(200);
  }
  return {
    process: child,
    agentName,
    metricsFile,
    stderrTail: () => errors.join('').slice(-3000),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => {
          void signalDescendants(child.pid!, 'SIGKILL').then(() => child.kill('SIGKILL'));
        }, 8000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface AgentBench {
  stack: Stack;
  baseline: BaselineWorker | null;
  /** A signed-in user with room for `calls` calls (the gateway allows 20 per account per 10 min). */
  parleyClient(): Promise<TestClient>;
  stop(): Promise<void>;
}

export async function startAgentBench(opts: {
  baseline: boolean;
  idleProcesses?: number;
  openai?: StackOptions['openai'];
  deepgram?: StackOptions['deepgram'];
  gateway?: StackOptions['gateway'];
  agentEnv?: Record<string, string>;
  /** Extra environment for the baseline worker (bench/baseline-agent.ts lists what it reads). */
  baselineEnv?: Record<string, string>;
  /** A LiveKit UDP port range this wide (density); implies the gateway as its own process. */
  udpPortCount?: number;
}): Promise<AgentBench> {
  const idle = opts.idleProcesses ?? 1;
  const stackOptions: StackOptions = {
    deepgram: { finalDelayMs: FAKES.deepgramFinalDelayMs, ...opts.deepgram },
    openai: { ttftMs: FAKES.llmTtftMs, ...opts.openai },
    cartesia: { ttfbMs: FAKES.ttsTtfbMs },
    gateway: opts.gateway ?? 'in-process',
    agentEnv: {
      AGENT_IDLE_PROCESSES: String(idle),
      AGENT_MIN_INTERRUPTION_MS: String(MIN_INTERRUPTION_MS),
      ...opts.agentEnv,
    },
  };
  // Density needs a wide LiveKit UDP range and a quiet gateway process of its own.
  const stack = await startStack(
    opts.udpPortCount
      ? {
          ...stackOptions,
          gateway: 'process',
          livekitUdpPorts: opts.udpPortCount,
          gatewayEnv: { ...stackOptions.gatewayEnv, LOG_LEVEL: 'warn' },
        }
      : stackOptions,
  );
  let baseline: BaselineWorker | null = null;
  try {
    if (opts.baseline) baseline = await startBaselineWorker(stack, idle, opts.baselineEnv);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  let users = 0;
  return {
    stack,
    baseline,
    async parleyClient() {
      const client = stack.client();
      const r = await client.post(
        '/api/auth/register',
        {
          email: `bench-${users++}-${randomBytes(3).toString('hex')}@example.com`,
          password: 'a long benchmark password 42 x',
          displayName: 'Bench',
        },
        { headers: { 'x-forwarded-for': `10.78.0.${users}` } },
      );
      if (r.status !== 201) throw new Error(`register → ${r.status} ${r.text}`);
      return client;
    },
    async stop() {
      await baseline?.stop();
      await stack.stop();
    },
  };
}

/** Joins a call on one arm: Parley through POST /api/calls; the baseline with a token dispatching its worker. */
export async function joinArm(b: AgentBench, arm: ArmName, client?: TestClient): Promise<Caller> {
  if (arm === 'parley') return startCall(client ?? (await b.parleyClient()));
  const room = `bench-base-${randomBytes(6).toString('hex')}`;
  const token = await participantToken(b.stack.livekit, `caller-${randomBytes(4).toString('hex')}`, room, {
    agentName: b.baseline!.agentName,
    metadata: '',
  });
  return joinCall({ url: b.stack.livekit.url, token, room, conversationId: '' });
}

export interface Speech {
  text: string;
  pcm: Int16Array;
  /** Samples of silence before the first voiced one, and ms of silence after the last. */
  leadMs: number;
  trailMs: number;
}

export async function speech(texts: string[]): Promise<Speech[]> {
  return Promise.all(
    texts.map(async (text) => {
      const { pcm } = await synthesizeSpeechWav(text, { sampleRate: 48000 });
      return { text, pcm, leadMs: voicedSpan(pcm, 48000)?.startMs ?? 0, trailMs: trailingSilenceMs(pcm) };
    }),
  );
}

/** Waits for the greeting to play out and the agent to listen. */
export async function settle(caller: Caller, timeoutMs = 30_000) {
  await caller.agentAudio.firstVoicedAfter(0, timeoutMs);
  await caller.agentAudio.silentFor(600, 0, timeoutMs);
  await waitForAgentState(caller, 'listening', timeoutMs);
}

export interface TurnSample {
  /** End of the caller's speech (capture time) → first voiced agent frame at the caller. */
  latencyMs: number;
  replyStart: number;
  replyEnd: number;
  /** Largest gap between agent audio frames during the reply, and gaps over 100 ms (underruns). */
  maxFrameGapMs: number;
  underruns: number;
}

/** One turn: speak, time the reply's first voiced frame, wait for the reply to end. */
export async function measureTurn(caller: Caller, s: Speech, timeoutMs = 20_000): Promise<TurnSample> {
  await waitForAgentState(caller, 'listening', timeoutMs);
  const { endedAt } = await caller.say(s.pcm);
  const speechEnd = endedAt - s.trailMs;
  const replyStart = await caller.agentAudio.firstVoicedAfter(speechEnd, timeoutMs);
  const replyEnd = await caller.agentAudio.silentFor(500, replyStart, timeoutMs);
  const frames = caller.agentAudio.frames.filter((f) => f.at >= replyStart && f.at <= replyEnd);
  let maxGap = 0;
  let underruns = 0;
  for (let i = 1; i < frames.length; i++) {
    const gap = frames[i]!.at - frames[i - 1]!.at;
    maxGap = Math.max(maxGap, gap);
    if (gap > 100) underruns++;
  }
  return { latencyMs: replyStart - speechEnd, replyStart, replyEnd, maxFrameGapMs: maxGap, underruns };
}

export { VOICED_RMS };

/** Agent-side metrics of the baseline worker's jobs (metrics_collected events), in ms. */
export function baselineMetrics(file: string): Record<'eou' | 'transcription' | 'llmTtft' | 'ttsTtfb', number[]> {
  const out = { eou: [] as number[], transcription: [] as number[], llmTtft: [] as number[], ttsTtfb: [] as number[] };
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const m = JSON.parse(line).metrics as Record<string, number | string>;
    if (m.type === 'eou_metrics') {
      out.eou.push(Number(m.endOfUtteranceDelayMs));
      out.transcription.push(Number(m.transcriptionDelayMs));
    } else if (m.type === 'llm_metrics') out.llmTtft.push(Number(m.ttftMs));
    else if (m.type === 'tts_metrics') out.ttsTtfb.push(Number(m.ttfbMs));
  }
  return out;
}

/** Parley's per-turn metrics as the agent reported them to the gateway (stored on agent utterances). */
export async function parleyMetrics(stack: Stack, conversationIds: string[]) {
  const rows = await stack.database
    .db('utterances')
    .whereIn('conversation_id', conversationIds)
    .andWhere({ role: 'agent' })
    .whereNotNull('metrics')
    .select('metrics');
  const out = {
    eou: [] as number[],
    transcription: [] as number[],
    llmTtft: [] as number[],
    ttsTtfb: [] as number[],
    e2e: [] as number[],
  };
  for (const { metrics } of rows) {
    const m = typeof metrics === 'string' ? JSON.parse(metrics) : metrics;
    if (m.endOfUtteranceDelayMs != null) out.eou.push(m.endOfUtteranceDelayMs);
    if (m.transcriptionDelayMs != null) out.transcription.push(m.transcriptionDelayMs);
    if (m.llmTtftMs != null) out.llmTtft.push(m.llmTtftMs);
    if (m.ttsTtfbMs != null) out.ttsTtfb.push(m.ttsTtfbMs);
    if (m.e2eLatencyMs != null) out.e2e.push(m.e2eLatencyMs);
  }
  return out;
}

/** What an agent worker's child process is: a job process, the end-of-turn inference process, or other. */
export type Kind = 'job' | 'inference' | 'other';
export function kindOf(pid: number): Kind {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (/inference/i.test(cmd)) return 'inference';
    // A job host (agent/src/job-host-main.ts, AGENT_CALLS_PER_PROCESS > 1) is a job process too.
    if (/job_proc|job_main|proc_lazy_main|job-host/i.test(cmd)) return 'job';
    return 'other';
  } catch {
    return 'other';
  }
}

/** RSS (MB) of a worker's job processes and its inference process, now. */
export async function agentMemory(workerPid: number) {
  const pids = await descendantPids(workerPid);
  const of = (k: Kind) => pids.filter((p) => kindOf(p) === k).map((p) => Math.round(rssMb(p) ?? 0));
  return { jobRssMb: of('job'), inferenceRssMb: of('inference'), workerRssMb: Math.round(rssMb(workerPid) ?? 0) };
}
