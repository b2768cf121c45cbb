// Generates docs/reliability.md from the last test run: test-results/vitest-{unit,stack}.json
// (written by `npm test`), filtered to the fault, attack and bad-input suites, plus the counters those suites
// write (test-results/bad-input.json, test-results/faults-*.json) and bench/results/load.json.
//   node --import tsx scripts/reliability-report.ts
// Tests declared with `it.fails(` are known, reported bugs: vitest counts them as passed while
// they still fail; they are listed as open bugs, never as refused attacks or survived faults.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';

const root = path.resolve(import.meta.dirname, '..');
const rel = (p: string) => path.relative(root, p);
const readJson = (p: string) => (existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null);

type Kind = 'fault' | 'attack' | 'bad input';
const SUITES: Array<{ match: RegExp; kind: Kind }> = [
  { match: /^e2e\/reliability\//, kind: 'fault' },
  { match: /^e2e\/calls\/gateway-restart\.test\.ts$/, kind: 'fault' }, // gateway SIGKILL mid-call (agent pipeline's suite)
  { match: /^e2e\/attacks\//, kind: 'attack' },
  { match: /^e2e\/bad-input\//, kind: 'bad input' },
];

interface Row {
  kind: Kind;
  file: string;
  group: string;
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'known bug' | 'not run';
  ms: number;
}

/** Titles of `it.fails(` tests in a file (known bugs). */
function knownBugTitles(file: string): Set<string> {
  const src = existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), 'utf8') : '';
  return new Set(
    [...src.matchAll(/it\.fails\(\s*(['"`])((?:\\.|(?!\1).)*)\1/g)].map((m) => m[2]!.replace(/\\(.)/g, '$1')),
  );
}

function suiteFiles(): string[] {
  const out: string[] = [];
  for (const dir of ['e2e/reliability', 'e2e/attacks', 'e2e/bad-input'])
    if (existsSync(path.join(root, dir)))
      for (const f of readdirSync(path.join(root, dir))) if (f.endsWith('.test.ts')) out.push(`${dir}/${f}`);
  if (existsSync(path.join(root, 'e2e/calls/gateway-restart.test.ts'))) out.push('e2e/calls/gateway-restart.test.ts');
  return out.sort();
}

// `npm test` writes one file per phase (unit, stack); older runs wrote test-results/vitest.json.
const INPUTS = (
  process.argv.find((a) => a.startsWith('--input='))?.slice(8) ??
  'test-results/vitest-unit.json,test-results/vitest-stack.json,test-results/vitest.json'
)
  .split(',')
  .map((p) => path.resolve(root, p))
  .filter((p) => existsSync(p));

function collect(): { rows: Row[]; runAt: string | null } {
  const reports = INPUTS.map((p) => readJson(p)).filter(Boolean);
  const report = {
    startTime: Math.min(...reports.map((r) => r.startTime ?? Infinity)),
    testResults: reports.flatMap((r) => r.testResults ?? []),
  };
  const rows: Row[] = [];
  const seenFiles = new Set<string>();
  for (const suite of report.testResults as any[]) {
    const file = rel(suite.name);
    const kind = SUITES.find((s) => s.match.test(file))?.kind;
    if (!kind) continue;
    seenFiles.add(file);
    const bugs = knownBugTitles(file);
    for (const a of suite.assertionResults as any[]) {
      const status: Row['status'] =
        bugs.has(a.title) && a.status === 'passed'
          ? 'known bug'
          : a.status === 'passed'
            ? 'passed'
            : a.status === 'failed'
              ? 'failed'
              : 'skipped';
      rows.push({
        kind,
        file,
        group: (a.ancestorTitles ?? []).join(' › '),
        title: a.title,
        status,
        ms: Math.round(a.duration ?? 0),
      });
    }
    if (!suite.assertionResults?.length)
      rows.push({ kind, file, group: '', title: '(suite failed to load)', status: 'failed', ms: 0 });
  }
  for (const file of suiteFiles()) {
    if (seenFiles.has(file)) continue;
    const kind = SUITES.find((s) => s.match.test(file))!.kind;
    rows.push({ kind, file, group: '', title: '(not in the last run)', status: 'not run', ms: 0 });
  }
  return { rows, runAt: Number.isFinite(report.startTime) ? new Date(report.startTime).toISOString() : null };
}

/** What the numbers cannot say: how each fault is injected and what it means for users. Keep true to the tests. */
const NOTES = `
## What each fault means

| fault | how the test injects it | what happens |
| --- | --- | --- |
| gateway SIGKILL mid-call | gateway as its own process, \`kill -9\`, started again on the same port | the agent keeps talking; its reports wait in its disk spool and are delivered once, in order, ~2 s after the gateway answers again |
| Postgres unreachable 10 s | a TCP proxy of the test's own between gateway and Postgres, reset and refusing while paused | ingest answers 503 and the agent retries with backoff; the backlog lands ~2–3 s after the database returns; \`/readyz\` answers 503 (database not ok), then 200. Every other request answers 503 \`service_unavailable\` meanwhile |
| Redis restarted | a \`redis-server --save "" --appendonly no\` of the test's own, SIGKILLed and started again | open transcript sockets stay open and receive the next utterances live; an utterance whose publish failed is stored and re-published by the agent's retry. Requests during the outage answer 503, never 500 |
| agent job process SIGKILLed | its pid (from the agent's segment ids on the live transcript) gets \`kill -9\` | LiveKit sees the agent leave after ~20 s; the webhook ends the call with \`agent_failed\`; the browser's socket gets \`call_ended\`; the worker stays up and serves the next call |
| LiveKit server restarted | the test's server stopped and started on the same ports and keys | the call ends ~6 s later with a recorded reason (currently \`caller_left\`, see below); the worker reconnects and the next call is served |

### Sessions and a Redis restart

Sessions live only in Redis when \`REDIS_URL\` is set. A Redis without persistence (as in the test)
forgets them on restart: every signed-in user is signed out, the next request answers a clean
\`401 unauthenticated\` (never 500) and the web client asks them to log in again. Guest call
records and transcripts (\`guestconv:\`, \`guestlog:\`) and rate-limit counters are lost too. Stored
conversations are not affected (they are in Postgres). To keep sessions across Redis restarts, run
Redis with AOF or RDB persistence (\`appendonly yes\`).

## Bugs these suites found

Fixed (each test that found one now guards it as a normal test):

- U+0000 in a text field reached Postgres: 500 on account routes, and a 503 on ingest that stalled
  the agent's ordered delivery queue for the rest of the call. Now 400 at validation (\`e2e/bad-input/\`).
- 500 instead of 503 on every cookie-authenticated route while Postgres or Redis was unreachable.
  Now 503 \`service_unavailable\` with Retry-After (\`gateway/src/http/dependency-errors.ts\`; \`e2e/reliability/data-faults.test.ts\`).
- The ingest signature did not cover the path: a batch captured on its way to conversation A could be
  replayed into conversation B within the 5-minute window. Now the path is signed (\`e2e/attacks/ingest-ws.test.ts\`).

Open (not asserted as failures):

- Redis restart, live view: an utterance the agent's retry re-publishes in the moment between
  Redis answering again and the gateway's subscriber re-subscribing is lost to open sockets
  (pub/sub keeps nothing). It is stored, and a reconnect's snapshot shows it, but the open page has
  a hole until then (seen in some runs: "missed by an open browser socket" above). Fix idea: when
  the bus subscriber reconnects, each socket re-reads utterances after the last seq it sent.

- After a LiveKit server restart the call is recorded as \`caller_left\` although the caller did not
  leave; \`server_restarted\` (or \`room_closed\`) would tell the truth.
- A killed agent job is noticed only when LiveKit drops the agent participant (~20 s); the worker
  could report \`agent_failed\` as soon as its job process exits.
`;

const mark = (s: Row['status']) =>
  ({
    passed: 'pass',
    failed: '**FAIL**',
    skipped: 'skipped',
    'known bug': '**known bug** (expected failure)',
    'not run': 'not run',
  })[s];
const cell = (v: unknown) =>
  String(v ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

async function main() {
  const { rows, runAt } = collect();
  const badInput = readJson(path.join(root, 'test-results/bad-input.json'));
  const faultFiles = existsSync(path.join(root, 'test-results'))
    ? readdirSync(path.join(root, 'test-results')).filter((f) => /^faults-.*\.json$/.test(f))
    : [];
  const utterances: Record<
    string,
    { expected: number; stored: number; lost: number; duplicated: number; liveMissed?: number[] }
  > = Object.assign({}, ...faultFiles.map((f) => readJson(path.join(root, 'test-results', f))));
  const load = readJson(path.join(root, 'bench/results/load.json'));
  const count = (kind: Kind, status: Row['status']) =>
    rows.filter((r) => r.kind === kind && r.status === status).length;
  const lost = Object.values(utterances).reduce((a, u) => a + u.lost, 0);
  const dup = Object.values(utterances).reduce((a, u) => a + u.duplicated, 0);

  const lines: string[] = [
    '# Reliability: faults, attacks and bad input',
    '',
    '<!-- Generated by `node --import tsx scripts/reliability-report.ts` from the last `npm test` run; do not edit by hand. -->',
    '',
    `Last run: ${runAt ?? 'no test results found (run `npm test`)'}. Suites: \`e2e/reliability/\` (faults during live calls),`,
    '`e2e/attacks/` (each attack with its own assertion), `e2e/bad-input/` (fast-check), plus the gateway SIGKILL fault in',
    '`e2e/calls/gateway-restart.test.ts`. A **known bug** is an `it.fails` test: it documents a reported defect, passes while',
    'the defect stands and turns red once it is fixed.',
    '',
    '## Summary',
    '',
    '| | count |',
    '| --- | --- |',
    `| faults survived | ${count('fault', 'passed')} of ${rows.filter((r) => r.kind === 'fault' && r.status !== 'known bug').length} |`,
    `| attacks refused (tests) | ${count('attack', 'passed')} of ${rows.filter((r) => r.kind === 'attack' && r.status !== 'known bug').length} |`,
    `| bad inputs tried | ${badInput ? `${badInput.requests} HTTP requests + ${badInput.wsFrames} WebSocket frames` : 'not recorded'} |`,
    `| 5xx answers to bad input | ${badInput ? badInput.fiveXx : 'not recorded'} (responses outside the error shape: ${badInput?.badShape ?? '—'}) |`,
    `| utterances lost / duplicated across faults | ${Object.keys(utterances).length ? `${lost} / ${dup} (of ${Object.values(utterances).reduce((a, u) => a + u.expected, 0)} spoken and heard)` : 'not recorded'} |`,
    `| known bugs (open) | ${rows.filter((r) => r.status === 'known bug').length} |`,
    `| failed | ${rows.filter((r) => r.status === 'failed').length} |`,
    '',
  ];
  for (const kind of ['fault', 'attack', 'bad input'] as Kind[]) {
    lines.push(
      `## ${kind === 'bad input' ? 'Bad input' : kind === 'fault' ? 'Faults' : 'Attacks'}`,
      '',
      '| suite | class | result | time |',
      '| --- | --- | --- | --- |',
    );
    for (const r of rows.filter((x) => x.kind === kind))
      lines.push(
        `| \`${r.file}\` | ${cell(r.group ? `${r.group} › ${r.title}` : r.title)} | ${mark(r.status)} | ${r.ms ? `${(r.ms / 1000).toFixed(1)} s` : ''} |`,
      );
    lines.push('');
    if (kind === 'fault' && Object.keys(utterances).length) {
      lines.push(
        'Utterances per fault (expected = greeting + what the caller said + each reply heard):',
        '',
        '| fault | expected | stored | lost | duplicated | missed by an open browser socket |',
        '| --- | --- | --- | --- | --- | --- |',
      );
      for (const [name, u] of Object.entries(utterances))
        lines.push(
          `| ${name} | ${u.expected} | ${u.stored} | ${u.lost} | ${u.duplicated} | ${u.liveMissed ? (u.liveMissed.length ? `seq ${u.liveMissed.join(', ')}` : 'none') : '—'} |`,
        );
      lines.push('');
    }
    if (kind === 'bad input' && badInput) {
      lines.push('Inputs by class:', '', '| class | sent |', '| --- | --- |');
      for (const [c, n] of Object.entries(badInput.byClass as Record<string, number>).sort())
        lines.push(`| ${c} | ${n} |`);
      lines.push('');
    }
  }
  lines.push('## Load', '');
  if (load) {
    const s = load.data?.scenarios ?? {};
    lines.push(
      `\`npm run bench -- load\` (bench/load.ts), ${load.date}: ${load.settings?.seconds} s at ${Object.entries(
        load.settings?.rates ?? {},
      )
        .map(([k, v]) => `${k} ${v}/s`)
        .join(
          ', ',
        )}; machine load average ${load.machine?.loadAverage?.start?.[0]} → ${load.machine?.loadAverage?.end?.[0]} on ${load.machine?.cores} cores.`,
      '',
      '| scenario | requests | p50 ms | p99 ms | errors | status codes |',
      '| --- | --- | --- | --- | --- | --- |',
      ...Object.entries(s).map(
        ([k, v]: [string, any]) =>
          `| ${k} | ${v.requests} | ${v.p50} | ${v.p99} | ${v.errors} | ${cell(JSON.stringify(v.status))} |`,
      ),
      '',
      ...((load.notes ?? []) as string[]).map((n) => `${n}`),
      '',
      `Gateway RSS: ${load.figures?.find((f: any) => f.name === 'gateway RSS before')?.value} MB before, ${load.figures?.find((f: any) => f.name === 'gateway RSS after')?.value} MB after (${load.figures?.find((f: any) => f.name === 'gateway RSS after')?.note}).`,
      '',
    );
  } else lines.push('No bench/results/load.json yet: run `npm run bench -- load`.', '');

  lines.push(...NOTES.trim().split('\n'), '');
  // Formatted through Prettier so `npm run lint` (prettier --check .) stays clean after a run.
  const out = path.join(root, 'docs/reliability.md');
  writeFileSync(out, await format(lines.join('\n'), { ...(await resolveConfig(out)), filepath: out }));
  console.log(
    `docs/reliability.md: ${rows.length} tests (${rows.filter((r) => r.status === 'failed').length} failed, ${rows.filter((r) => r.status === 'known bug').length} known bugs)`,
  );
}

await main();
