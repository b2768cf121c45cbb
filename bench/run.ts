// npm run bench [-- <name> [--option=value …]]: runs every benchmark, or one, then renders its
// chart (bench/results/<name>.svg) and regenerates the figures in docs/performance.md.
import { benchmarks } from './registry';
import { renderCharts } from './charts/render';
import { writePerformanceDoc } from './docs';

const [name, ...rest] = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
const selected = name && !name.startsWith('--') ? benchmarks.filter((b) => b.name === name) : benchmarks;
const args = name && !name.startsWith('--') ? rest : process.argv.slice(2);
if (name && !name.startsWith('--') && !selected.length) {
  console.error(`unknown benchmark "${name}"; one of: ${benchmarks.map((b) => b.name).join(', ')}, charts, docs`);
  process.exit(2);
}

let failed = 0;
for (const b of selected) {
  const t0 = Date.now();
  console.log(`\n=== ${b.name}: ${b.description}`);
  try {
    await b.run(args);
  } catch (err) {
    failed++;
    console.error(`${b.name} failed:`, err);
  }
  console.log(`=== ${b.name} took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
await renderCharts();
writePerformanceDoc();
process.exit(failed ? 1 : 0);
