import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { RESULTS_DIR } from '../lib/report';
import { chartFor } from './specs';

/** Renders bench/results/<name>.svg from every bench/results/<name>.json (vega-lite, headless). */
export async function renderCharts(only?: string[]): Promise<string[]> {
  if (!existsSync(RESULTS_DIR)) return [];
  const written: string[] = [];
  for (const file of readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json'))) {
    const name = file.slice(0, -5);
    if ((only && !only.includes(name)) || name.endsWith('-profile')) continue;
    const spec = chartFor(name, JSON.parse(readFileSync(path.join(RESULTS_DIR, file), 'utf8')));
    if (!spec) continue;
    const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    writeFileSync(path.join(RESULTS_DIR, `${name}.svg`), svg);
    written.push(`${name}.svg`);
  }
  if (written.length) console.log(`charts: ${written.join(', ')}`);
  return written;
}
