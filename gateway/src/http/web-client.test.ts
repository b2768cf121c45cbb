import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '@parley/testkit';

/** The built web client as `npm start` serves it: no proxy in front, so the gateway compresses it. */
describe('web client files', () => {
  let gw: TestGateway;
  const dist = mkdtempSync(path.join(os.tmpdir(), 'parley-web-dist-'));
  const script = `export const words = "${'turn '.repeat(2000)}";`;

  beforeAll(async () => {
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), `<!doctype html><title>Parley</title>${'<!-- x -->'.repeat(200)}`);
    writeFileSync(path.join(dist, 'assets', 'index-abc.js'), script);
    gw = await startTestGateway({ env: { WEB_DIST: dist } });
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dist, { recursive: true, force: true });
  });

  it('sends scripts and the app shell gzipped to a browser that accepts it, and as they are otherwise', async () => {
    const gz = await fetch(`${gw.url}/assets/index-abc.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.status).toBe(200);
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(await gz.text()).toBe(script); // fetch un-gzips it
    const shell = await fetch(`${gw.url}/history`, { headers: { 'accept-encoding': 'gzip' } });
    expect(shell.headers.get('content-encoding')).toBe('gzip');
    expect(await shell.text()).toMatch(/^<!doctype html><title>Parley<\/title>/);

    const plain = await fetch(`${gw.url}/assets/index-abc.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(script);
  });

  it('leaves API answers as the API routes send them, however large', async () => {
    const r = await fetch(`${gw.url}/api/openapi.json`, { headers: { 'accept-encoding': 'gzip' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-encoding')).toBeNull();
    expect(Number(r.headers.get('content-length'))).toBeGreaterThan(10_000);
    expect(((await r.json()) as { openapi: string }).openapi).toMatch(/^3\./);
  });
});
