import { defineConfig } from 'vitest/config';

/**
 * Four projects:
 * - `unit`: everything that needs at most Postgres, Redis, a gateway or a bare LiveKit server. Files
 *   run in parallel, each with its own database, Redis prefix and ports.
 * - `stack`: files that each start the whole call path (LiveKit, agent worker with job processes,
 *   provider fakes, often Chromium) and speak real-time audio. On a 2-core machine they starve each
 *   other, so `npm test` runs them one file at a time, after the unit phase.
 * - `browser`: Chromium against a gateway alone (no LiveKit, no agent, no audio). Nothing in them
 *   is timed against real-time audio, so `npm test` runs them one at a time beside the `stack` files,
 *   whose time is mostly waiting (reconnects, fault windows).
 * - `web`: component tests in jsdom (web/vitest.config.ts).
 */
const BROWSER = [
  'e2e/browser/account-activity.test.ts',
  'e2e/browser/account-security.test.ts',
  'e2e/browser/oidc.test.ts',
  'e2e/browser/page-states.test.ts',
  'e2e/browser/share-link.test.ts',
  'e2e/browser/voice-preview.test.ts',
];
const STACK = [
  'e2e/agent-dispatch.test.ts',
  'e2e/calls/**/*.test.ts',
  'e2e/browser/**/*.test.ts',
  'e2e/reliability/**/*.test.ts',
  'e2e/cluster/**/*.test.ts',
  'e2e/attacks/prompt-override.test.ts',
  'e2e/metrics/**/*.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: [
            '{protocol,db,tools,testkit,gateway,agent}/src/**/*.test.ts',
            'e2e/**/*.test.ts',
            'bench/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', ...STACK],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'stack',
          environment: 'node',
          include: STACK,
          exclude: ['**/node_modules/**', ...BROWSER],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          pool: 'forks',
          fileParallelism: false,
          // A file's suites marked concurrent (each with its own stack) run two at a time.
          maxConcurrency: 2,
        },
      },
      {
        test: {
          name: 'browser',
          environment: 'node',
          include: BROWSER,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
      'web/vitest.config.ts',
    ],
  },
});
