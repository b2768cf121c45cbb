// web: production bundle size (initial JS, gzip) and Lighthouse performance + accessibility for
// the landing, call and history pages, served by the real gateway from a fresh production build, driving Debian's
// Chromium through chrome-launcher. See docs/performance.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import WebSocket from 'ws';
import { signRequest } from '@parley/protocol/signature';
import { startTestGateway, TEST_INGEST_SECRET, TestClient } from '@parley/testkit';
import { machineSampler } from '../lib/machine';
import { printFigures, writeResult, type BenchResult, type Figure } from '../lib/report';
import { round } from '../lib/stats';
import { analyzeBundle } from './bundle';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const webDist = path.join(repoRoot, 'web/dist');
const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';
// Issue 23's targets: performance ≥ 90 on landing, call and history; accessibility ≥ 98 everywhere.
const TARGET_PERFORMANCE = 90;
const TARGET_A11Y = 98;

async function seedHistory(gatewayUrl: string, client: TestClient) {
  for (let c = 0; c < 3; c++) {
    const { conversationId } = (await client.post('/api/calls', {})).body as { conversationId: string };
    const t = Date.now() - (c + 1) * 3_600_000;
    const iso = (ms: number) => new Date(t + ms).toISOString();
    const events = [
      { type: 'call_started', at: iso(0) },
      ...[0, 1, 2, 3].map((seq) => ({
        type: 'utterance',
        utterance: {
          seq,
          role: seq % 2 ? 'agent' : 'user',
          text: seq % 2 ? 'Sure, here is what I found about the weather.' : 'What is the weather like tomorrow?',
          language: 'en',
          startedAt: iso(seq * 3000),
          endedAt: iso(seq * 3000 + 2000),
          interrupted: false,
          metrics: null,
        },
      })),
      { type: 'call_ended', at: iso(15_000), reason: 'caller_left' },
    ];
    const raw = JSON.stringify({ events });
    const path = `/internal/conversations/${conversationId}/events`;
    const r = await new TestClient(gatewayUrl, null).post(path, undefined, {
      raw,
      headers: { 'content-type': 'application/json', 'x-parley-signature': signRequest(TEST_INGEST_SECRET, path, raw) },
    });
    if (r.status !== 200) throw new Error(`seeding history: ingest → ${r.status}`);
  }
}

/**
 * Signs the browser in as a logged-in browser is: the session cookie (CDP Storage.setCookies,
 * bound to the gateway's port) and the page's "has a session" hint in localStorage.
 */
async function signInBrowser(port: number, url: string, cookies: Map<string, string>) {
  const { webSocketDebuggerUrl } = (await (await fetch(`http://127.0.0.1:${port}/json/version`)).json()) as {
    webSocketDebuggerUrl: string;
  };
  const ws = new WebSocket(webSocketDebuggerUrl);
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  let id = 0;
  const call = (method: string, params: object, sessionId?: string) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const i = ++id;
      const on = (d: Buffer) => {
        const m = JSON.parse(d.toString());
        if (m.id !== i) return;
        ws.off('message', on);
        if (m.error) reject(new Error(`${method}: ${JSON.stringify(m.error)}`));
        else resolve(m.result);
      };
      ws.on('message', on);
      ws.send(JSON.stringify({ id: i, method, params, sessionId }));
    });
  const sourcePort = Number(new URL(url).port);
  await call('Storage.setCookies', {
    cookies: [...cookies].map(([name, value]) => ({
      name,
      value,
      url,
      httpOnly: true,
      sourceScheme: 'NonSecure',
      sourcePort,
    })),
  });
  const { targetId } = await call('Target.createTarget', { url: `${url}/login` });
  const { sessionId } = await call('Target.attachToTarget', { targetId, flatten: true });
  await new Promise((r) => setTimeout(r, 1000));
  await call('Runtime.evaluate', { expression: "localStorage.setItem('parley.session', '1')" }, sessionId);
  await call('Target.closeTarget', { targetId });
  ws.close();
}

export async function run(args: string[]): Promise<BenchResult> {
  const started = Date.now();
  const runs = Number(args.find((a) => a.startsWith('--runs='))?.split('=')[1] ?? 3);
  // --reports=DIR keeps each Lighthouse report (JSON) for reading where the time went.
  const reportsDir = args.find((a) => a.startsWith('--reports='))?.split('=')[1];
  if (reportsDir) mkdirSync(reportsDir, { recursive: true });
  const machine = machineSampler();
  // The production build goes to a folder of its own (others may be serving web/dist right now);
  // --no-build measures web/dist as it is.
  const dist = args.includes('--no-build') ? webDist : mkdtempSync(path.join(os.tmpdir(), 'parley-bench-web-'));
  if (dist !== webDist) {
    console.log('building the web client (npm run build -w web -- --outDir <temp>)…');
    execFileSync('npm', ['run', 'build', '-w', 'web', '--', '--outDir', dist, '--emptyOutDir'], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 180_000,
    });
  }
  const bundle = analyzeBundle(dist);
  const gw = await startTestGateway({ env: { WEB_DIST: dist, LOG_LEVEL: 'warn' } });
  let chrome: chromeLauncher.LaunchedChrome | undefined;
  try {
    const user = new TestClient(gw.url);
    const reg = await user.post('/api/auth/register', {
      email: 'bench-web@example.com',
      password: 'a long bench password 4 lighthouse',
      displayName: 'Bench',
    });
    if (reg.status !== 201 && reg.status !== 200) throw new Error(`register → ${reg.status} ${reg.text}`);
    await seedHistory(gw.url, user);
    chrome = await chromeLauncher.launch({
      chromePath: CHROMIUM,
      chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    // Signed in for every page (the landing page is public either way); Lighthouse must not wipe it.
    await signInBrowser(chrome.port, gw.url, user.cookies);
    const pages = [
      { page: 'landing', path: '/' },
      { page: 'call', path: '/call' },
      { page: 'history', path: '/history' },
    ];
    const scores: Array<{
      page: string;
      run: number;
      performance: number;
      accessibility: number;
      lcpMs: number;
      tbtMs: number;
      fcpMs: number;
      /** Cumulative layout shift (unitless): content pushed down after it was painted. */
      cls: number;
      failedA11y: string[];
    }> = [];
    for (let r = 0; r < runs; r++)
      for (const p of pages) {
        const result = await lighthouse(gw.url + p.path, {
          port: chrome.port,
          output: 'json',
          logLevel: 'error',
          onlyCategories: ['performance', 'accessibility'],
          disableStorageReset: true,
        });
        const lhr = result!.lhr;
        if (reportsDir) writeFileSync(path.join(reportsDir, `${p.page}-${r + 1}.json`), JSON.stringify(lhr));
        if (lhr.finalDisplayedUrl && !lhr.finalDisplayedUrl.includes(p.path))
          throw new Error(`${p.page}: landed on ${lhr.finalDisplayedUrl}`);
        const num = (id: string) => round(lhr.audits[id]?.numericValue ?? Number.NaN, 0);
        scores.push({
          page: p.page,
          run: r,
          performance: Math.round((lhr.categories.performance?.score ?? 0) * 100),
          accessibility: Math.round((lhr.categories.accessibility?.score ?? 0) * 100),
          lcpMs: num('largest-contentful-paint'),
          tbtMs: num('total-blocking-time'),
          fcpMs: num('first-contentful-paint'),
          cls: round(lhr.audits['cumulative-layout-shift']?.numericValue ?? Number.NaN, 3),
          failedA11y: (lhr.categories.accessibility?.auditRefs ?? [])
            .filter((a) => a.weight > 0 && lhr.audits[a.id]?.score === 0)
            .map((a) => a.id),
        });
        console.log(
          `  ${p.page} run ${r + 1}: performance ${scores.at(-1)!.performance}, accessibility ${scores.at(-1)!.accessibility}`,
        );
      }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const perPage = pages.map(({ page }) => {
      const s = scores.filter((x) => x.page === page);
      return {
        page,
        performance: median(s.map((x) => x.performance)),
        accessibility: Math.min(...s.map((x) => x.accessibility)),
        lcpMs: median(s.map((x) => x.lcpMs)),
        tbtMs: median(s.map((x) => x.tbtMs)),
        fcpMs: median(s.map((x) => x.fcpMs)),
        cls: median(s.map((x) => x.cls)),
        failedA11y: [...new Set(s.flatMap((x) => x.failedA11y))],
      };
    });
    const kb = (b: number) => round(b / 1024, 1);
    const figures: Figure[] = [
      { name: 'initial JS (gzip)', value: kb(bundle.initialJsGzip), unit: 'KiB' },
      { name: 'initial CSS (gzip)', value: kb(bundle.initialCssGzip), unit: 'KiB' },
      ...bundle.routes.map((r) => ({ name: `JS added by ${r.route} (gzip)`, value: kb(r.extraJsGzip), unit: 'KiB' })),
      ...perPage.flatMap((p) => [
        {
          name: `${p.page}: Lighthouse performance`,
          value: p.performance,
          unit: '',
          target: { op: '>=' as const, value: TARGET_PERFORMANCE },
        },
        {
          name: `${p.page}: Lighthouse accessibility`,
          value: p.accessibility,
          unit: '',
          target: { op: '>=' as const, value: TARGET_A11Y },
        },
      ]),
    ];
    const result: BenchResult = {
      benchmark: 'web',
      date: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      settings: {
        runs,
        lighthouse: 'default config (mobile emulation, simulated throttling)',
        chromium: CHROMIUM,
        scoring: 'performance and timings: median of runs; accessibility: lowest of runs',
        gzipLevel: 9,
      },
      machine: machine.finish(),
      figures,
      data: { bundle, pages: perPage, runs: scores },
    };
    printFigures('web', figures);
    console.table(
      perPage.map((p) => ({
        page: p.page,
        performance: p.performance,
        accessibility: p.accessibility,
        'FCP ms': p.fcpMs,
        'LCP ms': p.lcpMs,
        'TBT ms': p.tbtMs,
        CLS: p.cls,
        'failed a11y audits': p.failedA11y.join(', '),
      })),
    );
    writeResult(result);
    return result;
  } finally {
    chrome?.kill();
    await gw.stop();
    if (dist !== webDist) rmSync(dist, { recursive: true, force: true });
  }
}
