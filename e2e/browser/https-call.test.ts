/**
 * Issue 19, "TLS for real use": the page, its API and LiveKit's signalling reached only through
 * Caddy (`tls internal`, the `npm start -- --lan` proxy) under a name, over HTTPS, by Chromium that
 * trusts nothing but Caddy's local authority (as a phone that installed its root would). A guest
 * call completes: the microphone opens (a secure context), LiveKit signalling goes over wss:// to
 * the same name, the caller's audio reaches the agent's STT (the Deepgram fake, which transcribes
 * by energy: this test is about the transport, offline-voice.test.ts about recognition) and the
 * reply comes back.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCaddy, type RunningCaddy } from '@parley/tools';
import { startStack, type Stack } from '@parley/testkit/stack';
import {
  launchChromium,
  micWav,
  openPage,
  pickMicrophone,
  requireWebBuild,
  screenshot,
  step,
  WEB_DIST,
} from './support';

const NAME = 'parley.localhost'; // *.localhost resolves to loopback in Chromium
const SAID = 'How many days are there in a week?';
const REPLY = 'Seven days, from Monday to Sunday.';

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as Chromium's SPKI allow-list takes it. */
const spkiHash = (pem: Buffer) =>
  createHash('sha256')
    .update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');

describe('browser: a call over HTTPS through Caddy', () => {
  let stack: Stack;
  let caddy: RunningCaddy;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let origin: string;
  const errors: string[] = [];
  const ctx = () => ({ page, stack, errors });

  beforeAll(async () => {
    requireWebBuild();
    dir = mkdtempSync(path.join(os.tmpdir(), 'parley-https-'));
    const [port, httpPort] = [await freePort(), await freePort()];
    origin = `https://${NAME}:${port}`;
    const [started, mic] = await Promise.all([
      startStack({
        deepgram: { transcripts: [SAID] },
        openai: { reply: () => REPLY },
        gatewayEnv: { WEB_DIST, PUBLIC_URL: origin, LIVEKIT_PUBLIC_URL: `wss://${NAME}:${port}` },
      }),
      micWav(SAID, { voice: 'en-us', leadSilenceS: 1 }),
    ]);
    stack = started;
    caddy = await startCaddy({
      names: [NAME],
      httpsPort: port,
      httpPort,
      gateway: new URL(stack.gatewayUrl).host,
      livekit: `127.0.0.1:${stack.livekit.port}`,
      dataDir: dir,
    });
    const intermediate = path.join(dir, 'caddy/pki/authorities/local/intermediate.crt');
    for (let i = 0; i < 100 && !existsSync(intermediate); i++) await new Promise((r) => setTimeout(r, 100));
    // Trust exactly Caddy's local authority (its intermediate signs the name's certificate).
    browser = await launchChromium(mic.path, [
      `--ignore-certificate-errors-spki-list=${spkiHash(readFileSync(intermediate))}`,
    ]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await caddy?.stop();
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads the page over HTTPS, signals LiveKit over wss:// through the same name, and completes a call', async () => {
    page = await openPage(browser, errors);
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    const response = await page.goto(`${origin}/`);
    expect(response?.status()).toBe(200);
    expect(await page.evaluate('window.isSecureContext')).toBe(true);
    await screenshot(page, 'https-01-landing');

    await step('guest call over HTTPS: connect and hear the greeting', ctx, async () => {
      await page.getByRole('link', { name: 'Try it now — no account' }).click();
      await page.getByRole('button', { name: 'Start call' }).click();
      await page.getByRole('button', { name: 'End call' }).waitFor({ timeout: 20_000 });
      await page.locator('li.turn-agent', { hasText: 'Hi, this is Parley' }).waitFor({ timeout: 30_000 });
    });
    await step('speak; the caller’s words, then the reply', ctx, async () => {
      await pickMicrophone(page);
      await page.locator('li.turn-user', { hasText: SAID }).waitFor({ timeout: 45_000 });
      await page.locator('li.turn-agent', { hasText: REPLY }).waitFor({ timeout: 30_000 });
    });
    await screenshot(page, 'https-02-call-live');
    // The caller's audio crossed: the STT fake heard voiced audio from this page's microphone.
    expect(stack.fakes.deepgram.sessions.length).toBeGreaterThan(0);

    // Every WebSocket the page opened went to the proxy's name over TLS: LiveKit's signalling
    // (/rtc) and Parley's live transcript.
    expect(sockets.some((u) => u.startsWith(`wss://${NAME}:`) && new URL(u).pathname.startsWith('/rtc'))).toBe(true);
    expect(sockets.length).toBeGreaterThan(0);
    expect(sockets.every((u) => u.startsWith(`wss://${NAME}:`))).toBe(true);

    await step('end the call', ctx, async () => {
      await page.getByRole('button', { name: 'End call' }).click();
      await page
        .getByText(/^Call ended/)
        .first()
        .waitFor({ timeout: 10_000 });
    });
    expect(errors).toEqual([]);
  }, 150_000);
});
