import { describe, expect, it } from 'vitest';
import { replaceGenerated, renderScaling, BEGIN, END } from '../reliability-report';
import { collectTests, countTests, type VitestReport } from './test-results';

const root = '/repo';
const file = (name: string, tests: Array<[string, string, object?]>, message = '') => ({
  name: `${root}/${name}`,
  status: tests.some(([, s]) => s === 'failed') ? 'failed' : 'passed',
  message,
  assertionResults: tests.map(([title, status, meta]) => ({ ancestorTitles: ['suite'], title, status, meta })),
});

describe('collecting a run’s test results', () => {
  const unit: VitestReport = {
    startTime: 1,
    testResults: [
      file('e2e/attacks/a.test.ts', [
        ['refuses x', 'passed'],
        ['refuses y', 'passed'],
      ]),
      file('e2e/broken.test.ts', [], 'SyntaxError: nope'),
    ],
  };
  const stack: VitestReport = {
    startTime: 2,
    testResults: [
      file('e2e/reliability/f.test.ts', [
        ['survives', 'failed'],
        ['documents a defect', 'passed', { knownBug: 'loses the tail' }],
        ['later', 'skipped'],
      ]),
      // The same file reported again (e.g. by a second phase): counted once, from the later report.
      file('e2e/attacks/a.test.ts', [
        ['refuses x', 'passed'],
        ['refuses y', 'failed'],
      ]),
    ],
  };

  it('counts each test once per file, the later report winning, and a file that failed to load as one failure', () => {
    const rows = collectTests([unit, stack], root);
    expect(rows.map((r) => `${r.file}:${r.title}:${r.status}`)).toEqual([
      'e2e/attacks/a.test.ts:refuses x:passed',
      'e2e/attacks/a.test.ts:refuses y:failed',
      'e2e/broken.test.ts:(file failed to load: SyntaxError: nope):failed',
      'e2e/reliability/f.test.ts:survives:failed',
      'e2e/reliability/f.test.ts:documents a defect:known failure',
      'e2e/reliability/f.test.ts:later:skipped',
    ]);
    expect(countTests(rows)).toEqual({ ran: 5, passed: 1, failed: 3, skipped: 1, knownFailures: 1, brokenFiles: 1 });
    expect(rows.find((r) => r.knownBug)?.knownBug).toBe('loses the tail');
  });

  it('gives the same counts when the same run is read twice (no stale or doubled rows)', () => {
    const once = countTests(collectTests([unit, stack], root));
    expect(countTests(collectTests([unit, stack, unit, stack], root))).toEqual(once);
  });

  it('replaces only the generated section of the document, keeping what is written by hand', () => {
    const doc = `# Title\n\nhand intro\n\n${BEGIN}\nold rows\n${END}\n\n## By hand\n\nnotes\n`;
    const once = replaceGenerated(doc, ['new rows']);
    expect(once).toBe(`# Title\n\nhand intro\n\n${BEGIN}\n\nnew rows\n${END}\n\n## By hand\n\nnotes\n`);
    expect(replaceGenerated(once, ['new rows'])).toBe(once);
    expect(replaceGenerated('# Title\n', ['rows'])).toBe(`# Title\n\n${BEGIN}\n\nrows\n${END}\n`);
  });

  it("renders docs/scaling.md's table from the run's cluster fault records only", () => {
    const base = { inFlight: 'x', outcome: 'y', expected: 7, stored: 7, lost: 0, duplicated: 0, live: null };
    const lines = renderScaling(
      [
        { ...base, fault: 'postgres_outage', file: 'e2e/reliability/data-faults.test.ts' },
        {
          ...base,
          fault: 'cluster_livekit_node_sigkill',
          file: 'e2e/cluster/node-kill.test.ts',
          cluster: { callsAffected: 1, heardAgainMs: [7421], callsEnded: 0 },
        },
        {
          ...base,
          fault: 'cluster_gateway_sigkill',
          file: 'e2e/cluster/gateway-kill.test.ts',
          lost: 1,
          cluster: { callsAffected: 1, heardAgainMs: [null], callsEnded: 0 },
        },
      ],
      '2026-12-03T05:00:00.000Z',
    );
    const rows = lines.filter((l) => l.startsWith('| cluster_'));
    expect(rows).toEqual([
      '| cluster_livekit_node_sigkill | `e2e/cluster/node-kill.test.ts` | 1 | 7.4 s | 0 / 0 (of 7) | 0 |',
      '| cluster_gateway_sigkill | `e2e/cluster/gateway-kill.test.ts` | 1 | never stopped hearing it | 1 / 0 (of 7) | 0 |',
    ]);
    expect(lines.join('\n')).not.toContain('postgres_outage');
    expect(lines).toContain('Cluster tests in this run: not counted (their test report was not read).');
    expect(renderScaling([], null).join('\n')).toContain('No cluster fault records in this run.');
  });

  it("counts the cluster test files' own passes and failures in docs/scaling.md, naming each failure", () => {
    const test = (file: string, title: string, status: 'passed' | 'failed') =>
      ({ file, group: 'g', title, status, ms: 1, knownBug: null }) as const;
    const lines = renderScaling([], '2026-12-04T19:00:00.000Z', [
      test('e2e/cluster/under-load.test.ts', 'a job process SIGKILLed', 'passed'),
      test('e2e/cluster/under-load.test.ts', 'a LiveKit node SIGKILLed', 'failed'),
      test('e2e/cluster/node-kill.test.ts', 'the node dies', 'passed'),
      test('e2e/reliability/data-faults.test.ts', 'Postgres down', 'failed'),
    ]);
    expect(lines).toContain(
      'Cluster tests in this run: 2 passed, 1 failed (`e2e/cluster/under-load.test.ts` › a LiveKit node SIGKILLed).',
    );
  });
});
