import { defineConfig } from 'vitest/config';

// One run over every workspace. Node-side suites share real Postgres/Redis/LiveKit, each test
// file creating its own database, Redis key prefix and ports; web/ runs its component tests in
// jsdom through its own project config.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['{protocol,db,tools,testkit,gateway,agent}/src/**/*.test.ts', 'e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          fileParallelism: true,
        },
      },
      'web/vitest.config.ts',
    ],
  },
});
