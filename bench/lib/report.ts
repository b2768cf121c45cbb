import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MachineInfo } from './machine';

export const RESULTS_DIR = path.join(import.meta.dirname, '..', 'results');

/** One headline number, optionally checked against the issue's target. */
export interface Figure {
  name: string;
  value: number | null;
  unit: string;
  target?: { op: '<=' | '>='; value: number; text?: string };
  note?: string;
}

export interface BenchResult {
  benchmark: string;
  date: string;
  durationSeconds: number;
  settings: Record<string, unknown>;
  machine: MachineInfo;
  figures: Figure[];
  /** Benchmark-specific data the chart reads (distributions, per-step rows, breakdowns). */
  data: Record<string, unknown>;
  notes?: string[];
}

export function meets(f: Figure): boolean | null {
  if (!f.target || f.value === null || Number.isNaN(f.value)) return null;
  return f.target.op === '<=' ? f.value <= f.target.value : f.value >= f.target.value;
}

export function targetText(f: Figure): string {
  if (!f.target) return '';
  return (
    f.target.text ??
    `${f.target.op === '<=' ? '≤' : '≥'} ${f.target.value}${f.unit && f.unit !== 'x' ? ` ${f.unit}` : ''}`
  );
}

export function printFigures(title: string, figures: Figure[]): void {
  console.log(`\n${title}`);
  console.table(
    figures.map((f) => {
      const ok = meets(f);
      return {
        figure: f.name,
        value: f.value === null ? '—' : `${f.value} ${f.unit}`.trim(),
        target: targetText(f),
        met: ok === null ? '' : ok ? 'yes' : 'NO',
        note: f.note ?? '',
      };
    }),
  );
}

export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.benchmark}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `wrote bench/results/${result.benchmark}.json (${result.durationSeconds.toFixed(0)} s, load ${result.machine.loadAverage.start[0]}→${result.machine.loadAverage.end[0]})`,
  );
  return file;
}
