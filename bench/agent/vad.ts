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
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: ArrayLike<number> }>>;
}
interface Ort {
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims?: number[]) => unknown;
}
interface SileroOnnx {
  OnnxModel: new (session: unknown, sampleRate: number) => OnnxModel;
  newInferenceSession(forceCPU: boolean): Promise<unknown>;
}

const WINDOW_MS = 32;
const arg = (args: string[], name: string, dflt: number) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);

/**
 * Runs `windows` windows per model over `models` models, round robin, waiting `paceMs` before each
 * (`grouped`: before each round only, the models' windows then run back to back).
 */
async function measure(models: OnnxModel[], windows: number, paceMs: number, grouped = false) {
  // Speech-like input (a mix of tones), so the model's state moves as on a call.
  const x = new Float32Array(models[0]!.windowSizeSamples).map(
    (_, i) => 0.1 * Math.sin(i / 7) + 0.05 * Math.sin(i / 3.1),
  );
  const cpuMs: number[] = [];
  const wallMs: number[] = [];
  for (let w = 0; w < windows; w++) {
    if (grouped && paceMs) await sleep(paceMs);
    for (const m of models) {
      if (paceMs && !grouped) await sleep(paceMs);
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

/**
 * The lever's figure: the windows of `calls` calls that fall due together run as one batch (the
 * model's batch dimension; each row's output equals its own run's), one run every 32 ms on one
 * session. Returns CPU per window. Context and state are carried per row as agents' OnnxModel does.
 */
async function measureBatched(ort: Ort, session: OrtSession, calls: number, windows: number, paceMs: number) {
  const ctx = 64;
  const win = 512;
  const input = new Float32Array(calls * (ctx + win));
  const x = new Float32Array(win).map((_, i) => 0.1 * Math.sin(i / 7) + 0.05 * Math.sin(i / 3.1));
  let state = new Float32Array(2 * calls * 128);
  const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]));
  const cpuMs: number[] = [];
  for (let w = 0; w < windows; w++) {
    if (paceMs) await sleep(paceMs);
    const c0 = process.cpuUsage();
    for (let r = 0; r < calls; r++) {
      const row = input.subarray(r * (ctx + win), (r + 1) * (ctx + win));
      row.copyWithin(0, win); // the last 64 samples of the previous window become the context
      row.set(x, ctx);
    }
    const out = await session.run({
      input: new ort.Tensor('float32', input, [calls, ctx + win]),
      state: new ort.Tensor('float32', state, [2, calls, 128]),
      sr,
    });
    state = Float32Array.from(out.stateN!.data);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000 / calls);
  }
  return round(cpuMs.reduce((a, b) => a + b, 0) / cpuMs.length, 3);
}

/** Each row of a batched run must give what that window's own run gives, or the batch is not the same work. */
async function checkBatchRows(ort: Ort, session: OrtSession, calls: number) {
  const n = 64 + 512;
  const input = new Float32Array(calls * n).map((_, i) => 0.1 * Math.sin(i / (5 + (i % 7))));
  const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]));
  const feeds = (x: Float32Array, rows: number) => ({
    input: new ort.Tensor('float32', x, [rows, n]),
    state: new ort.Tensor('float32', new Float32Array(2 * rows * 128), [2, rows, 128]),
    sr,
  });
  const batch = (await session.run(feeds(input, calls))).output!.data;
  for (let r = 0; r < calls; r++) {
    const own = (await session.run(feeds(input.slice(r * n, (r + 1) * n), 1))).output!.data[0];
    if (own !== batch[r]) throw new Error(`batched row ${r} gave ${batch[r]}, its own run ${own}`);
  }
}

export async function run(args: string[]): Promise<BenchResult> {
  const started = Date.now();
  const machine = machineSampler();
  const windows = arg(args, 'windows', 400);
  const callCounts = (args.find((a) => a.startsWith('--calls='))?.split('=')[1] ?? '1,4').split(',').map(Number);
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@livekit/agents-plugin-silero'));
  const silero = (await import(path.join(dir, 'onnx_model.js'))) as SileroOnnx;
  // The plugin's own onnxruntime-node (the one its sessions come from).
  const ort = createRequire(path.join(dir, 'index.js'))('onnxruntime-node') as Ort;

  const rows: Array<Record<string, unknown>> = [];
  for (const calls of callCounts) {
    const models: OnnxModel[] = [];
    for (let i = 0; i < calls; i++) models.push(new silero.OnnxModel(await silero.newInferenceSession(true), 16000));
    await measure(models, 50, 0); // warm-up
    const paceMs = WINDOW_MS / calls;
    const backToBack = await measure(models, windows, 0);
    const paced = await measure(models, windows, paceMs);
    // The windows of all calls due together run one after the other, each still its own run.
    const grouped = await measure(models, windows, WINDOW_MS, true);
    const shared = (await silero.newInferenceSession(true)) as OrtSession;
    await checkBatchRows(ort, shared, calls);
    await measureBatched(ort, shared, calls, 50, 0); // warm-up
    const batchedCpuMs = await measureBatched(ort, shared, calls, windows, WINDOW_MS);
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
      groupedPacedCpuMs: grouped.cpuMs,
      batchedPacedCpuMs: batchedCpuMs,
      batchedCoresPerCall: round(batchedCpuMs / WINDOW_MS, 4),
    });
    console.log(
      `  ${calls} session(s), one window every ${round(paceMs, 1)} ms: ${paced.cpuMs} ms CPU per window (back to back ${backToBack.cpuMs} ms; every 32 ms ${calls} runs in a row ${grouped.cpuMs} ms, one batch of ${calls} ${batchedCpuMs} ms)`,
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
    {
      name: `Silero inference CPU per window, ${last.calls} run(s) in a row every 32 ms`,
      value: last.groupedPacedCpuMs as number,
      unit: 'ms',
      note: 'the windows due together, each its own run',
    },
    {
      name: `Silero inference CPU per window, one batched run for ${last.calls} call(s) every 32 ms`,
      value: last.batchedPacedCpuMs as number,
      unit: 'ms',
      note: 'the batching lever, measured on the model alone',
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
      grouped: "every 32 ms each session's window, one run after the other",
      batched: "every 32 ms one run of one shared session over all sessions' windows (the model's batch dimension)",
    },
    machine: machine.finish(),
    figures,
    data: { rows },
  };
  printFigures(`vad (load ${result.machine.loadAverage.start[0]})`, figures);
  writeResult(result);
  return result;
}
