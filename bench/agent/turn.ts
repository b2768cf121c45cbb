// turn: caller-side turn latency, Parley's agent worker vs a bare @livekit/agents AgentSession
// (bench/baseline-agent.ts) with the same fakes, VAD and turn settings. One call per arm; the
// arms' turns alternate, so both see the same machine load. See docs/performance.md.
import { machineSampler } from '../lib/machine';
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
  type TurnSample,
} from './harness';

const SENTENCES = [
  'What time is it in Paris?',
  'Tell me a fun fact.',
  'How is the weather today?',
  'Can you help me plan dinner?',
];
const REPLY = 'Sure, here you go.';

const arg = (args: string[], k: string, d: number) =>
  Number(args.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);

export async function run(args: string[]): Promise<BenchResult> {
  const started = Date.now();
  const turns = arg(args, 'turns', 30);
  const machine = machineSampler();
  const b = await startAgentBench({ baseline: true, openai: { reply: () => REPLY } });
  try {
    const voices = await speech(SENTENCES);
    const arms: ArmName[] = ['parley', 'baseline'];
    const callers = Object.fromEntries(await Promise.all(arms.map(async (a) => [a, await joinArm(b, a)] as const)));
    await Promise.all(arms.map((a) => settle(callers[a]!)));
    // One unmeasured turn per arm: the first request of a call opens provider connections.
    for (const a of arms) await measureTurn(callers[a]!, voices[0]!).catch(() => undefined);
    const samples: Record<ArmName, TurnSample[]> = { parley: [], baseline: [] };
    const failures: Record<ArmName, number> = { parley: 0, baseline: 0 };
    for (let i = 0; i < turns; i++) {
      // Alternate which arm goes first, so neither always follows the other's reply.
      for (const a of i % 2 ? [...arms].reverse() : arms) {
        try {
          samples[a].push(await measureTurn(callers[a]!, voices[i % voices.length]!));
        } catch (err) {
          failures[a]++;
          console.warn(`${a} turn ${i + 1} failed: ${(err as Error).message}`);
        }
      }
      if ((i + 1) % 5 === 0) console.log(`  ${i + 1}/${turns} turns per arm`);
    }
    // Memory of both workers' processes while the calls are still up.
    const memory = {
      parley: await agentMemory(b.stack.worker!.process.pid!),
      baseline: await agentMemory(b.baseline!.process.pid!),
    };
    const conversationId = callers.parley!.call.conversationId;
    await Promise.all(arms.map((a) => callers[a]!.hangUp()));
    await new Promise((r) => setTimeout(r, 1500)); // the last utterances reach the gateway
    const lat = Object.fromEntries(arms.map((a) => [a, summarize(samples[a].map((s) => s.latencyMs))])) as Record<
      ArmName,
      ReturnType<typeof summarize>
    >;
    const pl = samples.parley.map((s) => s.latencyMs);
    const bl = samples.baseline.map((s) => s.latencyMs);
    const ci = {
      p50Ratio: bootstrapInterval(pl, bl, (x, y) => percentile(x, 50) / percentile(y, 50)),
      p95DiffMs: bootstrapInterval(pl, bl, (x, y) => percentile(x, 95) - percentile(y, 95)),
    };
    const pm = await parleyMetrics(b.stack, [conversationId]);
    const bm = baselineMetrics(b.baseline!.metricsFile);
    const breakdown = (['eou', 'transcription', 'llmTtft', 'ttsTtfb'] as const).map((k) => ({
      stage: {
        eou: 'end of utterance delay',
        transcription: 'transcription delay',
        llmTtft: 'LLM first token',
        ttsTtfb: 'TTS first byte',
      }[k],
      parleyP50: summarize(pm[k]).p50,
      parleyP95: summarize(pm[k]).p95,
      baselineP50: summarize(bm[k]).p50,
      baselineP95: summarize(bm[k]).p95,
    }));
    const figures: Figure[] = [
      { name: 'Parley turn latency p50', value: lat.parley.p50, unit: 'ms' },
      { name: 'Parley turn latency p95', value: lat.parley.p95, unit: 'ms' },
      { name: 'baseline turn latency p50', value: lat.baseline.p50, unit: 'ms' },
      { name: 'baseline turn latency p95', value: lat.baseline.p95, unit: 'ms' },
      {
        name: 'p50 ratio Parley / baseline',
        value: round(lat.parley.p50 / lat.baseline.p50, 3),
        unit: 'x',
        target: { op: '<=', value: 1.03, text: '≤ 1.03' },
        note: `95 % bootstrap interval ${ci.p50Ratio[0]}–${ci.p50Ratio[1]}`,
      },
      {
        name: 'Parley adds at p95',
        value: round(lat.parley.p95 - lat.baseline.p95),
        unit: 'ms',
        target: { op: '<=', value: 20 },
        note: `95 % bootstrap interval ${ci.p95DiffMs[0]}–${ci.p95DiffMs[1]} ms`,
      },
      {
        name: 'turns measured (Parley / baseline)',
        value: samples.parley.length,
        unit: `/ ${samples.baseline.length}`,
      },
      {
        name: 'job process RSS, Parley / baseline (largest)',
        value: Math.max(0, ...memory.parley.jobRssMb),
        unit: `MB / ${Math.max(0, ...memory.baseline.jobRssMb)} MB`,
      },
    ];
    const result: BenchResult = {
      benchmark: 'turn',
      date: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      settings: {
        turnsPerArm: turns,
        warmupTurnsPerArm: 1,
        interleaved: true,
        sentences: SENTENCES,
        reply: REPLY,
        fakes: FAKES,
        vad: 'Silero plugin defaults (min silence 550 ms), turnDetection vad, interruption vad',
        minInterruptionMs: MIN_INTERRUPTION_MS,
        measuredFrom: "capture time of the caller's last voiced sample (rtc-node LiveMicrophone, 50 ms queue)",
        measuredTo: `arrival of the first agent frame with RMS ≥ 0.01 at the caller`,
      },
      machine: machine.finish(),
      figures,
      data: {
        latencyMs: lat,
        bootstrap95: ci,
        memory,
        samples: Object.fromEntries(arms.map((a) => [a, samples[a].map((s) => round(s.latencyMs, 1))])),
        failures,
        breakdown,
        parleyE2eMs: summarize(pm.e2e),
      },
    };
    printFigures(`turn (${turns} turns per arm, load ${result.machine.loadAverage.start[0]})`, figures);
    console.log('agent-side breakdown (metrics events, ms):');
    console.table(breakdown);
    writeResult(result);
    return result;
  } finally {
    await b.stop();
  }
}
