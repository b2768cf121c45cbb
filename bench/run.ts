// npm run bench [-- <name> [--option=value …]]: runs every benchmark, or one, then renders the
// charts (bench/results/<name>.svg) and regenerates the figures in docs/performance.md.
// `npm run bench -- charts` only re-renders charts and the docs section from the stored results.
import { benchmarks } from './registry';
import { renderCharts } from './charts/render';
import { writePerformanceDoc } from './docs';

const argv = process.argv.slice(2).filter((a) => a !== '--');
const name = argv[0] && !argv[0].startsWith('--') ? argv[0] : undefined;
const args = name ? argv.slice(1) : argv;
const selected = name === 'charts' ? [] : name ? benchmarks.filter((b) => b.name === name) : benchmarks;
if (name && name !== 'charts' && !selected.length) {
  console.error(`unknown benchmark "${name}"; one of: ${benchmarks.map((b) => b.name).join(', ')}, charts`);
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
await writePerformanceDoc();
process.exit(failed ? 1 : 0);
