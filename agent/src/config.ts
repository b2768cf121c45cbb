import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseEnv, ProviderEnv, providerConfigProblems, resolveProviders } from '@parley/protocol';
import { z } from 'zod';

const DEV_SECRET = 'parley-development-only-secret-do-not-use-in-production';

/** Calls per job process unless AGENT_CALLS_PER_PROCESS says otherwise (measured in docs/performance.md, density). */
export const DEFAULT_CALLS_PER_PROCESS = 4;

const AgentEnv = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    LIVEKIT_URL: z.string().url().default('ws://127.0.0.1:7880'),
    LIVEKIT_API_KEY: z.string().default('devkey'),
    LIVEKIT_API_SECRET: z.string().default('secret'),
    AGENT_NAME: z.string().min(1).default('parley-agent'),
    /** Health HTTP port (GET / and GET /worker). Always explicit: two workers must not collide. */
    AGENT_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
    AGENT_HOST: z.string().default('127.0.0.1'),
    /** Prometheus metrics port (GET /metrics) beside the health port, on AGENT_HOST; 0 = any free port. */
    AGENT_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(8082),
    /** Bearer token for GET /metrics (shared name with the gateway's). */
    METRICS_TOKEN: z.string().min(16).optional(),
    /** Jobs this worker accepts before it reports itself full (load = active jobs / max). */
    AGENT_MAX_JOBS: z.coerce.number().int().min(1).max(256).default(24),
    /** Job processes kept warm so a call starts without a fork (~2 s otherwise). */
    AGENT_IDLE_PROCESSES: z.coerce.number().int().min(0).max(32).default(2),
    /**
     * Calls one job process runs. Above 1 (the default), job hosts (agent/src/job-host.ts) share the
     * process's ~130 MB floor and CPU; a crash of the process ends its calls (each gets a new agent).
     * 1 is agents' own process per call.
     */
    AGENT_CALLS_PER_PROCESS: z.coerce.number().int().min(1).max(32).default(DEFAULT_CALLS_PER_PROCESS),
    GATEWAY_URL: z.string().url().default('http://127.0.0.1:8080'),
    INGEST_SECRET: z.string().default(DEV_SECRET),
    /** Undelivered transcript events are kept here (JSONL) until the gateway has them. */
    AGENT_SPOOL_DIR: z.string().min(1).optional(),
    /** How often the worker re-sends what dead jobs left in the spool. */
    AGENT_SPOOL_RECOVERY_MS: z.coerce.number().int().min(500).max(600_000).default(10_000),
    /** Minimum caller speech (ms) that interrupts the agent (barge-in); see docs/agent.md. */
    AGENT_MIN_INTERRUPTION_MS: z.coerce.number().int().min(100).max(3000).default(350),
    /** After a LiveKit restart, or as the replacement after a node died, how long the agent waits for a caller who is not back yet before the call ends. */
    AGENT_CALLER_REJOIN_MS: z.coerce.number().int().min(1000).max(120_000).default(15_000),
    /** Pause the agent's audio as soon as the VAD hears the caller start (see agent/src/barge-in.ts). */
    AGENT_FAST_BARGE_IN: z.enum(['true', 'false']).default('true'),
    /** Caller voice (ms) before Silero reports a start of speech; one 32 ms window at 30 (the plugin's 50 needs two). */
    AGENT_VAD_MIN_SPEECH_MS: z.coerce.number().int().min(10).max(1000).default(30),
    /** The caller's audio reaches the pipeline (VAD, STT) in frames of this length (ms). Larger frames cost the job less CPU and delay turns (docs/performance.md, density: 20 ms −7 % job CPU, +10 ms turn p50), so rtc-node's own 10 stays the default. */
    AGENT_INPUT_FRAME_MS: z.coerce.number().int().min(10).max(100).default(10),
    /**
     * agents' session host: every session event (states, interim transcripts, conversation items,
     * usage) sent as a byte stream on `lk.agent.session` to the caller, and requests read from it,
     * for agents' RemoteSession tools. Parley's clients read none of it and it costs about a sixth of a
     * call's server CPU (docs/performance.md, density), so it is off unless set to true.
     */
    AGENT_SESSION_EVENTS: z.enum(['true', 'false']).default('false'),
    /** The agent's audio reaches the room in frames of at most this long (ms; 0: the TTS's own, Cartesia 100). */
    AGENT_OUTPUT_FRAME_MS: z.coerce.number().int().min(0).max(200).default(20),
    /** Job processes run one JavaScript bundle of job.ts, not tsx, when the worker runs from its sources (agent/src/job-process.ts). */
    AGENT_JOB_BUNDLE: z.enum(['true', 'false']).default('true'),
    /**
     * V8 young-generation semi-space cap (MB) for job processes; 0 = V8's default (16). Unset: 2 for
     * a process per call, 16 for job hosts, whose calls share one young generation (docs/performance.md).
     */
    AGENT_JOB_SEMI_SPACE_MB: z.coerce.number().int().min(0).max(64).optional(),
    /**
     * V8 old-generation growth of job processes (`--heap-growing-percent`: a major GC once the old
     * generation is this much above what the last one left); 0 = V8's own factor, which grows a busy
     * host's heap up to 4× its live size. Unset: 20 for job hosts, V8's own for a process per call.
     */
    AGENT_JOB_HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(400).optional(),
    /** glibc malloc arenas (MALLOC_ARENA_MAX) for job processes; 0 = glibc's default (8 × cores). */
    AGENT_JOB_MALLOC_ARENAS: z.coerce.number().int().min(0).max(64).default(0),
    /** glibc: memory above this many kB is returned to the system and larger blocks are mmapped (MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_); 0 = glibc's dynamic thresholds. */
    AGENT_JOB_MALLOC_TRIM_KB: z.coerce.number().int().min(0).max(65536).default(0),
    /** The malloc of job processes: glibc's, or jemalloc (libjemalloc2) preloaded into job processes only (agent/src/job-process.ts). */
    AGENT_JOB_ALLOCATOR: z.enum(['glibc', 'jemalloc']).default('jemalloc'),
  })
  .and(ProviderEnv);

export type AgentConfig = ReturnType<typeof loadAgentConfig>;

export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = parseEnv(AgentEnv, env);
  const providers = resolveProviders(e);
  const problems = providerConfigProblems(e, providers);
  if (e.NODE_ENV === 'production') {
    if (e.LIVEKIT_API_SECRET.length < 32)
      problems.push('LIVEKIT_API_SECRET must be at least 32 characters in production');
    if (e.INGEST_SECRET === DEV_SECRET || e.INGEST_SECRET.length < 32)
      problems.push('INGEST_SECRET must be set to at least 32 random characters in production');
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return {
    production: e.NODE_ENV === 'production',
    logLevel: e.LOG_LEVEL,
    livekit: { url: e.LIVEKIT_URL, apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET },
    agentName: e.AGENT_NAME,
    health: { host: e.AGENT_HOST, port: e.AGENT_HEALTH_PORT },
    metrics: { host: e.AGENT_HOST, port: e.AGENT_METRICS_PORT, token: e.METRICS_TOKEN || undefined },
    maxJobs: e.AGENT_MAX_JOBS,
    idleProcesses: e.AGENT_IDLE_PROCESSES,
    callsPerProcess: e.AGENT_CALLS_PER_PROCESS,
    gateway: { url: e.GATEWAY_URL.replace(/\/$/, ''), secret: e.INGEST_SECRET },
    spoolDir: e.AGENT_SPOOL_DIR ?? path.join(os.tmpdir(), 'parley-spool'),
    spoolRecoveryMs: e.AGENT_SPOOL_RECOVERY_MS,
    minInterruptionMs: e.AGENT_MIN_INTERRUPTION_MS,
    callerRejoinMs: e.AGENT_CALLER_REJOIN_MS,
    fastBargeIn: e.AGENT_FAST_BARGE_IN === 'true',
    vadMinSpeechMs: e.AGENT_VAD_MIN_SPEECH_MS,
    inputFrameMs: e.AGENT_INPUT_FRAME_MS,
    outputFrameMs: e.AGENT_OUTPUT_FRAME_MS,
    sessionEvents: e.AGENT_SESSION_EVENTS === 'true',
    jobBundle: e.AGENT_JOB_BUNDLE === 'true',
    jobSemiSpaceMb: e.AGENT_JOB_SEMI_SPACE_MB ?? (e.AGENT_CALLS_PER_PROCESS > 1 ? 16 : 2),
    jobHeapGrowingPercent: e.AGENT_JOB_HEAP_GROWING_PERCENT ?? (e.AGENT_CALLS_PER_PROCESS > 1 ? 20 : 0),
    jobMallocArenas: e.AGENT_JOB_MALLOC_ARENAS,
    jobMallocTrimKb: e.AGENT_JOB_MALLOC_TRIM_KB,
    jobAllocator: e.AGENT_JOB_ALLOCATOR,
    providers,
    providerEnv: e as z.infer<typeof ProviderEnv>,
  };
}
