// turn: caller-side turn latency, Parley's agent worker vs a bare @livekit/agents AgentSession
// (bench/baseline-agent.ts) with the same fakes, VAD and turn settings, in two provider
// configurations, one after the other, each against the baseline on its own stack:
//   single    one provider per stage (Deepgram, an OpenAI-compatible LLM, Cartesia): no
//             FallbackAdapter anywhere (agent/src/providers/index.ts builds one only for a chain)
//   fallback  a fallback behind every stage (Deepgram → OpenAI STT, OpenAI → OpenAI-compatible LLM,
//             Cartesia → OpenAI TTS): every stage runs through agents' FallbackAdapter
// One call per arm; the arms' turns alternate, so both see the same machine load.
// See docs/performance.md.
import { startFakeOpenAI } from '@parley/testkit';
import { machineSampler, type MachineInfo } from '../lib/machine';
import { printFigures, writeResult, type BenchResult, type Figure } from '../lib/report';
import { bootstrapInterval, percentile, round, summarize } from '../lib/stats';
import {
  agentMemory,
  baselineMetrics,
  FAKES,
  joinArm,
  measureTurn,
  MIN_INTERRUPTION_MS,
  parleyMetrics,
  settle,
  speech,
  startAgentBench,
  type ArmName,
  type Speech,
  type TurnSample,
} from './harness';

const SENTENCES = [
  'What time is it in Paris?',
  'Tell me a fun fact.',
  'How is the weather today?',
  'Can you help me plan dinner?',
];
const REPLY = 'Sure, here you go.';
/** Silero's minimum speech for both arms (Parley's default AGENT_VAD_MIN_SPEECH_MS; the plugin's own is 50). */
const VAD_MIN_SPEECH_MS = 30;
const LLM_MODEL = 'gpt-4.1-mini';

type Mode = 'single' | 'fallback';
const MODES: Record<Mode, { label: string; chains: Record<'stt' | 'llm' | 'tts', string[]> }> = {
  single: {
    label: 'one provider per stage',
    chains: { stt: ['deepgram'], llm: ['openai-compatible'], tts: ['cartesia'] },
  },
  fallback: {
    label: 'fallback chain',
    chains: { stt: ['deepgram', 'openai'], llm: ['openai', 'openai-compatible'], tts: ['cartesia', 'openai'] },
  },
};

const arg = (args: string[], k: string) => args.find((a) => a.startsWith(`--${k}=`))?.split('=')[1];

interface ModeRun {
  mode: Mode;
  samples: Record<ArmName, TurnSample[]>;
  failures: Record<ArmName, number>;
  memory: Record<ArmName, Awaited<ReturnType<typeof agentMemory>>>;
  /** Largest job process RSS (MB) of each arm after every 10th turn: whether a call's job grows with its age. */
  rssByTurn: Array<{ turn: number } & Record<ArmName, number>>;
  parley: Awaited<ReturnType<typeof parleyMetrics>>;
  baseline: ReturnType<typeof baselineMetrics>;
  servedBy: Record<string, number>;
  machine: MachineInfo;
  seconds: number;
}

/** One configuration: its own stack, Parley and baseline calls, `turns` interleaved turns per arm. */
async function runMode(mode: Mode, turns: number, voices: Speech[]): Promise<ModeRun> {
  const started = Date.now();
  const machine = machineSampler();
  // The LLM both arms use in the single mode, and Parley's LLM fallback in the other: the same
  // fake with the same settings as the stack's OpenAI fake.
  const llm = await startFakeOpenAI({ ttftMs: FAKES.llmTtftMs, reply: () => REPLY });
  const agentEnv: Record<string, string> =
    mode === 'single'
      ? {
          // No OpenAI key: OpenAI STT and TTS drop out of the chains; the LLM is the same plugin
          // (openai.LLM) pointed at an OpenAI-compatible URL.
          OPENAI_API_KEY: '',
          LLM_PROVIDER: 'openai-compatible',
          LLM_BASE_URL: llm.baseURL,
          LLM_MODEL,
          LLM_API_KEY: 'bench',
        }
      : { LLM_BASE_URL: llm.baseURL, LLM_MODEL };
  const b = await startAgentBench({
    baseline: true,
    openai: { reply: () => REPLY },
    agentEnv: { ...agentEnv, AGENT_VAD_MIN_SPEECH_MS: String(VAD_MIN_SPEECH_MS) },
    // The baseline's LLM is the fake that serves Parley's primary LLM.
    baselineEnv: {
      VAD_MIN_SPEECH_MS: String(VAD_MIN_SPEECH_MS),
      ...(mode === 'single' ? { OPENAI_BASE_URL: llm.baseURL } : {}),
    },
  });
  try {
    const arms: ArmName[] = ['parley', 'baseline'];
    const callers = Object.fromEntries(
      await Promise.all(
        arms.map(async (a) => {
          try {
            return [a, await joinArm(b, a)] as const;
          } catch (err) {
            if (a === 'baseline') console.warn(`baseline worker stderr:\n${b.baseline!.stderrTail()}`);
            throw err;
          }
        }),
      ),
    );
    await Promise.all(arms.map((a) => settle(callers[a]!)));
    // One unmeasured turn per arm: the first request of a call opens provider connections.
    for (const a of arms) await measureTurn(callers[a]!, voices[0]!).catch(() => undefined);
    const samples: Record<ArmName, TurnSample[]> = { parley: [], baseline: [] };
    const failures: Record<ArmName, number> = { parley: 0, baseline: 0 };
    const pids: Record<ArmName, number> = { parley: b.stack.worker!.process.pid!, baseline: b.baseline!.process.pid! };
    const rssByTurn: ModeRun['rssByTurn'] = [];
    for (let i = 0; i < turns; i++) {
      // Alternate which arm goes first, so neither always follows the other's reply.
      for (const a of i % 2 ? [...arms].reverse() : arms) {
        try {
          samples[a].push(await measureTurn(callers[a]!, voices[i % voices.length]!));
        } catch (err) {
          failures[a]++;
          console.warn(`${mode}: ${a} turn ${i + 1} failed: ${(err as Error).message}`);
        }
      }
      if ((i + 1) % 10 === 0) {
        const [p, bl] = await Promise.all(arms.map((a) => agentMemory(pids[a])));
        rssByTurn.push({ turn: i + 1, parley: Math.max(0, ...p!.jobRssMb), baseline: Math.max(0, ...bl!.jobRssMb) });
        console.log(`  ${mode}: ${i + 1}/${turns} turns per arm; job RSS ${JSON.stringify(rssByTurn.at(-1))} MB`);
      }
    }
    // Memory of both workers' processes while the calls are still up.
    const memory = { parley: await agentMemory(pids.parley), baseline: await agentMemory(pids.baseline) };
    const conversationId = callers.parley!.call.conversationId;
    await Promise.all(arms.map((a) => callers[a]!.hangUp()));
    await new Promise((r) => setTimeout(r, 1500)); // the last utterances reach the gateway
    // Which provider Parley says served each stored turn: the configured primaries, or the mode was not in effect.
    const rows = await b.stack.database
      .db('utterances')
      .where({ conversation_id: conversationId })
      .whereNotNull('metrics')
      .select('role', 'metrics');
    const servedBy: Record<string, number> = {};
    for (const { role, metrics } of rows) {
      const m = typeof metrics === 'string' ? JSON.parse(metrics) : metrics;
      for (const [stage, p] of Object.entries((m?.servedBy ?? {}) as Record<string, string>)) {
        const k = `${role} ${stage}: ${p}`;
        servedBy[k] = (servedBy[k] ?? 0) + 1;
      }
    }
    const sum = (a: ArmName) => summarize(samples[a].map((s) => s.latencyMs));
    console.log(
      `  ${mode}: Parley p50 ${sum('parley').p50} / p95 ${sum('parley').p95} ms, baseline p50 ${sum('baseline').p50} / p95 ${sum('baseline').p95} ms; served by ${JSON.stringify(servedBy)}`,
    );
    return {
      mode,
      samples,
      failures,
      memory,
      rssByTurn,
      parley: await parleyMetrics(b.stack, [conversationId]),
      baseline: baselineMetrics(b.baseline!.metricsFile),
      servedBy,
      machine: machine.finish(),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await b.stop();
    await llm.close();
  }
}

export async function run(args: string[]): Promise<BenchResult> {
  const started = Date.now();
  const turns = Number(arg(args, 'turns') ?? 100);
  const modes = (arg(args, 'modes') ?? 'single,fallback').split(',') as Mode[];
  for (const m of modes) if (!(m in MODES)) throw new Error(`--modes: unknown mode "${m}" (single, fallback)`);
  // A lever experiment (agent settings from the environment) writes turn-<label>.json and leaves
  // the run of record alone.
  const label = arg(args, 'label')?.replace(/[^a-z0-9-]/gi, '');
  const machine = machineSampler();
  const voices = await speech(SENTENCES);
  const runs: ModeRun[] = [];
  const retried: string[] = [];
  for (const mode of modes) {
    console.log(`turn, ${MODES[mode].label}: ${turns} turns per arm`);
    // A call that cannot start (an agent not joining within 30 s on a loaded machine) is retried
    // once on a fresh stack; the retry is recorded.
    try {
      runs.push(await runMode(mode, turns, voices));
    } catch (err) {
      console.warn(`turn, ${MODES[mode].label} failed, once more on a fresh stack: ${(err as Error).message}`);
      retried.push(`${mode}: ${(err as Error).message}`);
      runs.push(await runMode(mode, turns, voices));
    }
  }

  const figures: Figure[] = [];
  const samples: Record<string, number[]> = {};
  const breakdown: Array<Record<string, unknown>> = [];
  const perMode: Record<string, unknown> = {};
  for (const r of runs) {
    const label = MODES[r.mode].label;
    const pl = r.samples.parley.map((s) => s.latencyMs);
    const bl = r.samples.baseline.map((s) => s.latencyMs);
    const lat = { parley: summarize(pl), baseline: summarize(bl) };
    const ci = {
      p50Ratio: bootstrapInterval(pl, bl, (x, y) => percentile(x, 50) / percentile(y, 50)),
      p95DiffMs: bootstrapInterval(pl, bl, (x, y) => percentile(x, 95) - percentile(y, 95)),
    };
    const la = r.machine.loadAverage;
    figures.push(
      { name: `${label}: Parley turn latency p50 / p95`, value: lat.parley.p50, unit: `/ ${lat.parley.p95} ms` },
      { name: `${label}: baseline turn latency p50 / p95`, value: lat.baseline.p50, unit: `/ ${lat.baseline.p95} ms` },
      {
        name: `${label}: p50 ratio Parley / baseline`,
        value: round(lat.parley.p50 / lat.baseline.p50, 3),
        unit: 'x',
        target: { op: '<=', value: 1, text: '≤ 1.00' },
        note: `95 % bootstrap interval ${ci.p50Ratio[0]}–${ci.p50Ratio[1]}`,
      },
      {
        name: `${label}: Parley adds at p95`,
        value: round(lat.parley.p95 - lat.baseline.p95),
        unit: 'ms',
        target: { op: '<=', value: 20 },
        note: `95 % bootstrap interval ${ci.p95DiffMs[0]}–${ci.p95DiffMs[1]} ms`,
      },
      {
        name: `${label}: turns measured (Parley / baseline)`,
        value: pl.length,
        unit: `/ ${bl.length}`,
        note: `${Math.round(r.seconds)} s; load average (1 min) ${la.start[0]} at start, ${la.end[0]} at end, ${la.max1m} at most`,
      },
      {
        name: `${label}: job process RSS, Parley / baseline (largest)`,
        value: Math.max(0, ...r.memory.parley.jobRssMb),
        unit: `MB / ${Math.max(0, ...r.memory.baseline.jobRssMb)} MB`,
      },
    );
    // Growth with the call's age: from turn 20 (allocators and caches warmed) to the last sample.
    const [from, to] = [r.rssByTurn.find((x) => x.turn === 20), r.rssByTurn.at(-1)];
    if (from && to && to.turn > from.turn) {
      const per10 = (a: ArmName) => round(((to[a] - from[a]) * 10) / (to.turn - from.turn), 1);
      figures.push({
        name: `${label}: job process RSS growth per 10 turns from turn ${from.turn} to ${to.turn}, Parley / baseline`,
        value: per10('parley'),
        unit: `MB / ${per10('baseline')} MB`,
        note: `Parley ${from.parley} → ${to.parley} MB, baseline ${from.baseline} → ${to.baseline} MB`,
      });
    }
    samples[`Parley, ${label}`] = pl.map((x) => round(x, 1));
    samples[`baseline (${label} run)`] = bl.map((x) => round(x, 1));
    const stages = {
      eou: 'end of utterance delay',
      transcription: 'transcription delay',
      llmTtft: 'LLM first token',
      ttsTtfb: 'TTS first byte',
    } as const;
    for (const k of Object.keys(stages) as Array<keyof typeof stages>)
      breakdown.push({
        providers: label,
        stage: stages[k],
        parleyP50: summarize(r.parley[k]).p50,
        parleyP95: summarize(r.parley[k]).p95,
        baselineP50: summarize(r.baseline[k]).p50,
        baselineP95: summarize(r.baseline[k]).p95,
      });
    breakdown.push({
      providers: label,
      stage: "Parley's end to end (end of speech → first audio frame pushed, agent side)",
      parleyP50: summarize(r.parley.e2e).p50,
      parleyP95: summarize(r.parley.e2e).p95,
      baselineP50: null,
      baselineP95: null,
    });
    perMode[r.mode] = {
      label,
      chains: MODES[r.mode].chains,
      servedBy: r.servedBy,
      latencyMs: lat,
      bootstrap95: ci,
      failures: r.failures,
      memory: r.memory,
      rssByTurn: r.rssByTurn,
      machine: r.machine,
      seconds: r.seconds,
    };
  }

  const result: BenchResult = {
    benchmark: label ? `turn-${label}` : 'turn',
    date: new Date().toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    settings: {
      turnsPerArm: turns,
      // Parley's agent settings that change the per-frame path (defaults unless set).
      parleyAgentSettings: { AGENT_INPUT_FRAME_MS: process.env.AGENT_INPUT_FRAME_MS ?? 'default' },
      warmupTurnsPerArm: 1,
      interleaved: true,
      modes: Object.fromEntries(modes.map((m) => [m, MODES[m]])),
      sentences: SENTENCES,
      reply: REPLY,
      fakes: FAKES,
      vad: `Silero, min speech ${VAD_MIN_SPEECH_MS} ms in both arms (AGENT_VAD_MIN_SPEECH_MS / the baseline's VAD_MIN_SPEECH_MS), other plugin defaults (min silence 550 ms); turnDetection vad, interruption vad`,
      baseline:
        'bare AgentSession: the plugins themselves (deepgram.STT, openai.LLM, cartesia.TTS), no FallbackAdapter, agents’ default room input (24 kHz) and output',
      minInterruptionMs: MIN_INTERRUPTION_MS,
      measuredFrom: "capture time of the caller's last voiced sample (rtc-node LiveMicrophone, 50 ms queue)",
      measuredTo: `arrival of the first agent frame with RMS ≥ 0.01 at the caller`,
    },
    machine: machine.finish(),
    figures,
    data: { samples, breakdown, modes: perMode, retried },
  };
  printFigures(`turn (${turns} turns per arm and mode, load ${result.machine.loadAverage.start[0]})`, figures);
  console.log('agent-side breakdown (metrics events, ms):');
  console.table(breakdown);
  console.log('served by (stored turns):', JSON.stringify(Object.fromEntries(runs.map((r) => [r.mode, r.servedBy]))));
  writeResult(result);
  return result;
}
