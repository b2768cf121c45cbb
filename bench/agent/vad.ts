// Silero VAD inference alone, as a job process runs it: agents' Silero plugin (its own ONNX session
// options and model) on 512-sample windows at 16 kHz, one window per 32 ms per call. The same
// windows are run back to back (what a microbenchmark shows) and paced as calls run them (each
// window after a wait of 32 ms ÷ calls in the process), and CPU and wall time per window are
// compared. No LiveKit, no agents session: the figure is what the model costs per call, and how much
// of it comes from running after a wait rather than from the model's arithmetic.
import { createRequire } from 'node:module';
import path from 'node:path';
import { machineSampler } from '../lib/machine';
import { printFigures, writeResult, type BenchResult, type Figure } from '../lib/report';
import { round, sleep, summarize } from '../lib/stats';

interface OnnxModel {
  windowSizeSamples: number;
  run(x: Float32Array): Promise<number>;
}
interface SileroOnnx {
  OnnxModel: new (session: unknown, sampleRate: number) => OnnxModel;
  newInferenceSession(forceCPU: boolean): Promise<unknown>;
}

const WINDOW_MS = 32;
const arg = (args: string[], name: string, dflt: number) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);

/** Runs `windows` windows per model over `models` models, round robin, waiting `paceMs` before each. */
async function measure(models: OnnxModel[], windows: number, paceMs: number) {
  // Speech-like input (a mix of tones), so the model's state moves as on a call.
  const x = new Float32Array(models[0]!.windowSizeSamples).map(
    (_, i) => 0.1 * Math.sin(i / 7) + 0.05 * Math.sin(i / 3.1),
  );
  const cpuMs: number[] = [];
  const wallMs: number[] = [];
  for (let w = 0; w < windows; w++) {
    for (const m of models) {
      if (paceMs) await sleep(paceMs);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await m.run(x);
      wallMs.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuMs.push((c.user + c.system) / 1000);
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { cpuMs: round(mean(cpuMs), 3), wall: summarize(wallMs) };
}

export async function run(args: string[]): Promise<BenchResult> {
  const started = Date.now();
  const machine = machineSampler();
  const windows = arg(args, 'windows', 400);
  const callCounts = (args.find((a) => a.startsWith('--calls='))?.split('=')[1] ?? '1,4').split(',').map(Number);
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@livekit/agents-plugin-silero'));
  const silero = (await import(path.join(dir, 'onnx_model.js'))) as SileroOnnx;

  const rows: Array<Record<string, unknown>> = [];
  for (const calls of callCounts) {
    const models: OnnxModel[] = [];
    for (let i = 0; i < calls; i++) models.push(new silero.OnnxModel(await silero.newInferenceSession(true), 16000));
    await measure(models, 50, 0); // warm-up
    const paceMs = WINDOW_MS / calls;
    const backToBack = await measure(models, windows, 0);
    const paced = await measure(models, windows, paceMs);
    rows.push({
      calls,
      paceMs: round(paceMs, 1),
      backToBackCpuMs: backToBack.cpuMs,
      backToBackWallP50Ms: backToBack.wall.p50,
      pacedCpuMs: paced.cpuMs,
      pacedWallP50Ms: paced.wall.p50,
      // One window per 32 ms per call: CPU per window ÷ 32 ms is cores per call.
      pacedCoresPerCall: round(paced.cpuMs / WINDOW_MS, 4),
      pacedOverBackToBack: round(paced.cpuMs / backToBack.cpuMs, 2),
    });
    console.log(
      `  ${calls} session(s), one window every ${round(paceMs, 1)} ms: ${paced.cpuMs} ms CPU per window (back to back ${backToBack.cpuMs} ms)`,
    );
  }
  const last = rows.at(-1)!;
  const figures: Figure[] = [
    {
      name: 'Silero inference CPU per window, back to back',
      value: last.backToBackCpuMs as number,
      unit: 'ms',
      note: `${last.calls} session(s)`,
    },
    {
      name: `Silero inference CPU per window, paced as ${last.calls} call(s) in one process`,
      value: last.pacedCpuMs as number,
      unit: 'ms',
      note: `one window every ${last.paceMs} ms`,
    },
    { name: 'paced ÷ back to back', value: last.pacedOverBackToBack as number, unit: 'x' },
    {
      name: 'Silero VAD cores per call (paced)',
      value: last.pacedCoresPerCall as number,
      unit: 'cores',
      note: 'one 32 ms window per call',
    },
  ];
  const result: BenchResult = {
    benchmark: 'vad',
    date: new Date().toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    settings: {
      windows,
      calls: callCounts,
      model: "@livekit/agents-plugin-silero's silero_vad.onnx, 16 kHz, 512-sample windows, its session options",
      paced: 'each window after a wait of 32 ms ÷ sessions (the cadence of that many calls in one process)',
    },
    machine: machine.finish(),
    figures,
    data: { rows },
  };
  printFigures(`vad (load ${result.machine.loadAverage.start[0]})`, figures);
  writeResult(result);
  return result;
}
