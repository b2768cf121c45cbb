import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from './bundle';

const dist = mkdtempSync(path.join(os.tmpdir(), 'bench-bundle-'));
afterAll(() => rmSync(dist, { recursive: true, force: true }));

const files: Record<string, string> = {
  'index-A.js': `import{a}from"./vendor-B.js";console.log(a,"${'entry'.repeat(50)}");`,
  'vendor-B.js': `export const a="${'vendor'.repeat(200)}";`,
  'CallPage-C.js': `import{a}from"./vendor-B.js";import"./livekit-D.js";export default a;`,
  'livekit-D.js': `export const lk="${'livekit'.repeat(500)}";`,
  'HistoryPage-E.js': `export default "${'history'.repeat(20)}";`,
  'index-F.css': `body{color:red}`,
};

describe('bundle analysis of a Vite build', () => {
  it('counts the entry and its static imports as initial, and per route only what it adds', () => {
    mkdirSync(path.join(dist, 'assets'));
    for (const [f, body] of Object.entries(files)) writeFileSync(path.join(dist, 'assets', f), body);
    writeFileSync(
      path.join(dist, 'index.html'),
      '<html><head><script type="module" crossorigin src="/assets/index-A.js"></script><link rel="stylesheet" href="/assets/index-F.css"></head></html>',
    );
    const gz = (f: string) => gzipSync(Buffer.from(files[f]!), { level: 9 }).length;
    const b = analyzeBundle(dist);
    expect(b.initialJsGzip).toBe(gz('index-A.js') + gz('vendor-B.js'));
    expect(b.initialCssGzip).toBe(gz('index-F.css'));
    const call = b.routes.find((r) => r.chunk === 'CallPage-C.js')!;
    expect(call.extraJsGzip).toBe(gz('CallPage-C.js') + gz('livekit-D.js')); // vendor-B is already loaded
    expect(b.routes.find((r) => r.route === '/history')!.extraJsGzip).toBe(gz('HistoryPage-E.js'));
    expect(b.totalJsGzip).toBe(
      ['index-A.js', 'vendor-B.js', 'CallPage-C.js', 'livekit-D.js', 'HistoryPage-E.js'].reduce((s, f) => s + gz(f), 0),
    );
  });
});
