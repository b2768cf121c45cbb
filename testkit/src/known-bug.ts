// A test that documents an open defect: it asserts the RIGHT behaviour and is declared with
// vitest's `test.fails`, so it passes while the defect stands and turns red once it is fixed
// (then make it a normal test). The defect's one-line description goes into the test's meta,
// where scripts/reliability-report.ts reads it from the run's JSON report to list open bugs.
import { test, type TestContext } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** Set by knownBug(): the open defect this `test.fails` test documents. */
    knownBug?: string;
  }
}

export function knownBug(
  defect: string,
  title: string,
  fn: (ctx: TestContext) => Promise<void> | void,
  timeoutMs?: number,
): void {
  test.fails(
    title,
    async (ctx) => {
      ctx.task.meta.knownBug = defect;
      await fn(ctx);
    },
    timeoutMs,
  );
}
