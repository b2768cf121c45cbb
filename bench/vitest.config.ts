import { defineConfig } from 'vitest/config';

// The benchmarks' own unit tests (helpers only; the benchmarks themselves run with `npm run bench`):
//   npx vitest run --config bench/vitest.config.ts
export default defineConfig({
  test: { name: 'bench', environment: 'node', include: ['bench/**/*.test.ts'], root: '.', testTimeout: 30_000 },
});
