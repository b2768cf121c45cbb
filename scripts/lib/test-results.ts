// Reads the vitest JSON reports of one `npm test` run (one file per phase) into one list of tests,
// de-duplicated by test file (a file reported by two phases counts once, from the later phase),
// and counts them. Used by scripts/reliability-report.ts (docs/reliability.md) and, through it, by
// scripts/test.mjs for the summary line, so both count the same way.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type TestStatus = 'passed' | 'failed' | 'skipped' | 'known failure';

export interface TestRow {
  /** Repository-relative path of the test file. */
  file: string;
  /** describe › … › test */
  group: string;
  title: string;
  status: TestStatus;
  ms: number;
  /** For a known failure: the defect it documents (from the test's meta, see testkit knownBug). */
  knownBug: string | null;
}

export interface RunCounts {
  /** Tests that ran (passed + failed + known failures); skipped tests did not run. */
  ran: number;
  passed: number;
  failed: number;
  skipped: number;
  /** `test.fails` tests marked with knownBug that failed as expected (the defect is still there). */
  knownFailures: number;
  /** Test files that failed to load (no test in them ran); each counts as one failure in `failed`. */
  brokenFiles: number;
}

interface VitestAssertion {
  ancestorTitles?: string[];
  title: string;
  status: string;
  duration?: number;
  meta?: { knownBug?: string };
}
interface VitestFile {
  name: string;
  status: string;
  message?: string;
  assertionResults?: VitestAssertion[];
}
export interface VitestReport {
  startTime?: number;
  testResults?: VitestFile[];
}

/**
 * One row per test of the given reports (in order: a later report's rows for a file replace an
 * earlier report's). A file that failed to load yields one failed row so it is not silently absent.
 */
export function collectTests(reports: VitestReport[], root: string): TestRow[] {
  const byFile = new Map<string, TestRow[]>();
  for (const report of reports)
    for (const suite of report.testResults ?? []) {
      const file = path.isAbsolute(suite.name) ? path.relative(root, suite.name) : suite.name;
      const tests = suite.assertionResults ?? [];
      byFile.set(
        file,
        tests.length
          ? tests.map((a) => {
              const knownBug = a.meta?.knownBug ?? null;
              const status: TestStatus =
                a.status === 'passed'
                  ? knownBug
                    ? 'known failure'
                    : 'passed'
                  : a.status === 'failed'
                    ? 'failed'
                    : 'skipped';
              return {
                file,
                group: (a.ancestorTitles ?? []).join(' › '),
                title: a.title,
                status,
                ms: Math.round(a.duration ?? 0),
                knownBug,
              };
            })
          : [
              {
                file,
                group: '',
                title: `(file failed to load${suite.message ? `: ${suite.message.split('\n')[0]}` : ''})`,
                status: 'failed',
                ms: 0,
                knownBug: null,
              },
            ],
      );
    }
  return [...byFile.keys()].sort().flatMap((f) => byFile.get(f)!);
}

export function countTests(rows: TestRow[]): RunCounts {
  const n = (s: TestStatus) => rows.filter((r) => r.status === s).length;
  return {
    ran: rows.length - n('skipped'),
    passed: n('passed'),
    failed: n('failed'),
    skipped: n('skipped'),
    knownFailures: n('known failure'),
    brokenFiles: rows.filter((r) => r.status === 'failed' && r.title.startsWith('(file failed to load')).length,
  };
}

/** The reports that exist among `files` (absolute paths), parsed. */
export function readReports(files: string[]): VitestReport[] {
  return files.filter((f) => existsSync(f)).map((f) => JSON.parse(readFileSync(f, 'utf8')) as VitestReport);
}
