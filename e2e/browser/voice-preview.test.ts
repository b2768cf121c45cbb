/**
 * Issue 23, browser: Settings → "Play a sample" plays the chosen voice saying the sample sentence in
 * the chosen language, synthesised by the gateway with the configured text-to-speech (the Cartesia
 * fake's /tts/bytes, 60 ms of audio per character). The test measures the duration the page's audio
 * element decoded and how far it played, and compares them with the length the provider made.
 * Gateway + built client + Chromium, no call stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { VOICE_PREVIEW_TEXT } from '@parley/protocol';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { startFakeCartesia, type FakeCartesia } from '@parley/testkit/fakes/cartesia';
import { HISTORY_TEST_ENV, registerUser, type TestUser } from '@parley/testkit/history';
import { launchChromium, openPage, requireWebBuild, screenshot, SCREENSHOT_DIR } from './support';

const MS_PER_CHAR = 60;

describe('browser: voice preview in Settings', () => {
  let gw: TestGateway;
  let cartesia: FakeCartesia;
  let browser: Browser;
  let user: TestUser;
  const errors: string[] = [];

  beforeAll(async () => {
    requireWebBuild();
    cartesia = await startFakeCartesia({ msPerChar: MS_PER_CHAR });
    gw = await startTestGateway({
      env: { ...HISTORY_TEST_ENV, CARTESIA_API_KEY: 'ck-test', CARTESIA_BASE_URL: cartesia.baseUrl },
    });
    user = await registerUser(gw, 'ines');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await cartesia?.close();
  });

  it('plays the chosen voice in the chosen language, with the length the provider made', async () => {
    const page = await openPage(browser, errors);
    await page.goto(`${gw.url}/login`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();

    // Spanish, and a voice other than the default (the built-in Cartesia list: English voices and the
    // configured one, which speaks any language).
    await page.getByLabel('Language', { exact: true }).selectOption('es');
    const voiceSelect = page.getByLabel('Voice', { exact: true });
    await voiceSelect.locator('option').nth(1).waitFor({ state: 'attached' });
    const voice = (await voiceSelect.locator('option').nth(1).getAttribute('value'))!;
    await voiceSelect.selectOption(voice);
    const response = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/voices/preview');
    await page.getByRole('button', { name: 'Play a sample' }).click();
    expect((await response).headers()['content-type']).toBe('audio/wav');
    const audio = page.getByLabel('Sample of the chosen voice');
    await audio.waitFor({ timeout: 15_000 });

    // What the element plays: decoded by the browser, and played (autoplay) to its end.
    // (The page's CSP keeps fetch away from blob: URLs, so the element itself is measured.)
    const measured = (await page.evaluate(`(async () => {
      const el = document.querySelector('audio[data-testid="voice-preview"]');
      if (!(el.readyState >= 1)) await new Promise((r) => el.addEventListener('loadedmetadata', r, { once: true }));
      if (!el.ended) await new Promise((r) => el.addEventListener('ended', r, { once: true }));
      return { element: el.duration, played: el.played.length ? el.played.end(0) : 0, error: el.error && el.error.code };
    })()`)) as { element: number; played: number; error: number | null };
    const expected = (VOICE_PREVIEW_TEXT.es.length * MS_PER_CHAR) / 1000;
    console.info(`[voice-preview] expected ${expected} s; ${JSON.stringify(measured)}`);
    // What the browser decoded and played: the whole sample.
    expect(measured.error).toBeNull();
    expect(measured.element).toBeCloseTo(expected, 1);
    expect(measured.played).toBeGreaterThan(expected - 0.3);
    expect(cartesia.bytesRequests).toEqual([
      expect.objectContaining({ voiceId: voice, language: 'es', transcript: VOICE_PREVIEW_TEXT.es }),
    ]);
    const form = page.locator('form', { has: audio });
    await screenshot(page, 'voice-preview-01-desktop');
    await form.screenshot({ path: `${SCREENSHOT_DIR}/voice-preview-02-form-desktop.png` });
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'voice-preview-03-phone');
    await form.screenshot({ path: `${SCREENSHOT_DIR}/voice-preview-04-form-phone.png` });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    expect(errors).toEqual([]);
  });
});
