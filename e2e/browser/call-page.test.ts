/**
 * Issue 23, browser: what the call page shows and asks, on the whole real stack (gateway, LiveKit,
 * agent worker) with Chromium's fake microphone playing an espeak-ng WAV.
 * - The caller's microphone level meter stays at 0 on a silent microphone and moves while the fake
 *   microphone speaks (the WAV: 1 s of silence, the words, 1 s of silence).
 * - Leaving during a call asks first: a reload gets the browser's beforeunload dialog, a link to
 *   another page and the browser's Back button the app's confirm; declining keeps the call, accepting
 *   leaves and ends it.
 * - The live call passes axe-core's WCAG 2.1 A/AA checks at 375 and 1280 px.
 * - A call the server ends (here: the call time limit, MAX_CALL_SECONDS) first shows a countdown
 *   for its last LIMIT_WARNING_SECONDS (issue 22), then hangs up on the page, which says why and
 *   what next, with no stale agent state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Dialog, Page } from 'playwright-core';
import { en } from '@parley/protocol/i18n';
import type { Stack } from '@parley/testkit/stack';
import { axeViolations, openPage, pickMicrophone, screenshot, startBrowserStack, step } from './support';

const SAID = 'Hello there, I would like to talk about the weather in the mountains today.';
const LEAD_S = 1;
const MAX_CALL_SECONDS = 30;
const LIMIT_WARNING_SECONDS = 15;

/** Starts sampling the meter's aria-valuenow in the page every 40 ms (no round trips in the way). */
const sampleMeter = (page: Page) =>
  page.evaluate(`window.__meter = []; setInterval(() => {
    const el = document.querySelector('[data-testid="mic-meter"]');
    if (el) window.__meter.push({ at: Date.now(), v: Number(el.getAttribute('aria-valuenow')) });
  }, 40)`);
const meterSamples = (page: Page) => page.evaluate('window.__meter') as Promise<Array<{ at: number; v: number }>>;
/** Resolves once the meter reads above `level` (polled: the page's CSP forbids waitForFunction's string eval). */
async function meterAbove(page: Page, level: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await page.evaluate(
      `Number(document.querySelector('[data-testid="mic-meter"]')?.getAttribute('aria-valuenow'))`,
    );
    if (Number(v) > level) return;
    if (Date.now() > deadline) throw new Error(`the meter stayed at or below ${level} for 10 s (now ${String(v)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('browser: the call page — mic meter, leaving asks, server-ended call', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let speechMs: number;
  const errors: string[] = [];
  const ctx = () => ({ page, stack, errors });

  beforeAll(async () => {
    ({ stack, browser, speechMs } = await startBrowserStack(
      {
        deepgram: { transcripts: [SAID], endpointSilenceMs: 700 },
        openai: { ttftMs: 60, reply: () => 'Mountain weather changes quickly.' },
        gatewayEnv: {
          MAX_CALL_SECONDS: String(MAX_CALL_SECONDS),
          LIMIT_WARNING_SECONDS: String(LIMIT_WARNING_SECONDS),
        },
      },
      SAID,
      { voice: 'en-us', leadSilenceS: LEAD_S },
    ));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function startGuestCall(width: number) {
    page = await openPage(browser, errors, width);
    // Arrive as a visitor does, through the landing page's link (so Back has somewhere to go in the app).
    await page.goto(stack.gatewayUrl + '/');
    await page.getByRole('link', { name: en.landing.tryGuest }).click();
    await page.getByRole('button', { name: 'Start call' }).waitFor();
    await step('start a guest call', ctx, async () => {
      await page.getByRole('button', { name: 'Start call' }).click();
      await page.getByRole('button', { name: 'End call' }).waitFor({ timeout: 15_000 });
      await page.getByRole('meter', { name: 'Your microphone level' }).waitFor({ timeout: 10_000 });
    });
  }

  it('the mic meter moves while the fake microphone speaks, and leaving the call asks first', async () => {
    await startGuestCall(1280);
    await sampleMeter(page);
    // The page's first microphone is a silent stand-in (page-probe.js): the meter reads 0.
    await page.waitForTimeout(1200);
    const silent = await meterSamples(page);
    expect(silent.length).toBeGreaterThan(10);
    expect(Math.max(...silent.map((s) => s.v))).toBe(0);

    const mic = await step('pick the speaking microphone', ctx, () => pickMicrophone(page));
    const speechFrom = mic.openedAt + LEAD_S * 1000;
    const speechTo = speechFrom + speechMs;
    await step('the meter moves while the words play', ctx, async () => {
      await meterAbove(page, 30);
    });
    await screenshot(page, 'call-page-01-mic-meter-desktop');
    // The live call (agent panel, meter, controls, transcript) passes axe's WCAG 2.1 A/AA checks at both widths.
    const axeFound = (await axeViolations(page)).map((v) => `1280px: ${v}`);
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'call-page-02-mic-meter-phone');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    axeFound.push(...(await axeViolations(page)).map((v) => `375px: ${v}`));
    expect(axeFound).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.waitForTimeout(Math.max(0, speechTo + 1200 - Date.now()));
    const all = await meterSamples(page);
    const during = all.filter((s) => s.at >= speechFrom + 300 && s.at <= speechTo - 300).map((s) => s.v);
    const before = all.filter((s) => s.at >= mic.openedAt + 100 && s.at <= speechFrom - 300).map((s) => s.v);
    const detail = JSON.stringify({ speechMs, before, during });
    // While the words play the meter is up most of the time and moves (speech is not a steady tone).
    expect(during.length, detail).toBeGreaterThan(15);
    expect(during.filter((v) => v > 20).length / during.length, detail).toBeGreaterThan(0.6);
    expect(new Set(during).size, detail).toBeGreaterThan(5);
    // In the WAV's leading second of silence it reads (almost) nothing.
    expect(Math.max(...before), detail).toBeLessThan(10);
    console.info(
      `[call-page] meter: silent mic max 0; lead silence max ${Math.max(...before)}; during speech median ${during.sort((a, b) => a - b)[during.length >> 1]}, max ${Math.max(...during)}`,
    );

    // Leaving asks. A reload: the browser's own dialog; declining keeps the call up.
    const dialogs: Array<{ type: string; message: string }> = [];
    let answer: (d: Dialog) => Promise<void> = (d) => d.dismiss();
    page.on('dialog', (d) => {
      dialogs.push({ type: d.type(), message: d.message() });
      void answer(d);
    });
    await step('a reload during the call asks', ctx, async () => {
      await page.evaluate('setTimeout(() => window.location.reload(), 0)');
      const deadline = Date.now() + 5000;
      while (!dialogs.some((d) => d.type === 'beforeunload') && Date.now() < deadline) await page.waitForTimeout(50);
      expect(dialogs.map((d) => d.type)).toContain('beforeunload');
    });
    await page.waitForTimeout(500);
    expect(new URL(page.url()).pathname).toBe('/guest');
    expect(await page.getByRole('button', { name: 'End call' }).isVisible()).toBe(true);

    // The browser's Back button: the same confirm; "Cancel" stays in the call (the page came from the
    // landing page's link, so Back would otherwise go there and end the call).
    await page.goBack({ waitUntil: 'commit' }).catch(() => undefined);
    await page.waitForTimeout(300);
    expect(dialogs.at(-1)).toEqual({ type: 'confirm', message: 'Leave the call? It will end.' });
    expect(new URL(page.url()).pathname).toBe('/guest');
    expect(await page.getByRole('button', { name: 'End call' }).isVisible()).toBe(true);
    expect(await page.getByTestId('call-badge').count()).toBe(1);

    // A link to another page: the app's confirm with its own words; "Cancel" stays in the call.
    await page.getByRole('link', { name: 'Log in', exact: true }).click();
    expect(dialogs.at(-1)).toEqual({ type: 'confirm', message: 'Leave the call? It will end.' });
    expect(new URL(page.url()).pathname).toBe('/guest');
    expect(await page.getByRole('button', { name: 'End call' }).isVisible()).toBe(true);
    expect(await page.getByTestId('call-badge').count()).toBe(1);

    // "OK" leaves: the log-in page, and the call is over (no badge in the header).
    answer = (d) => d.accept();
    await page.getByRole('link', { name: 'Log in', exact: true }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('call-badge').count()).toBe(0);
    expect(dialogs.map((d) => d.type)).toEqual(['beforeunload', 'confirm', 'confirm', 'confirm']);
    await page.context().close();
  }, 120_000);

  it('the browser’s Back button during a call asks; "OK" goes back and ends the call', async () => {
    await startGuestCall(1280);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.goBack({ waitUntil: 'commit' }).catch(() => undefined);
    await page.getByRole('heading', { name: en.landing.title }).waitFor({ timeout: 10_000 });
    expect(dialogs).toEqual(['Leave the call? It will end.']);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.getByTestId('call-badge').count()).toBe(0);
    await page.context().close();
  }, 60_000);

  it('a call the server ends (time limit) hangs up and says why and what next', async () => {
    await startGuestCall(375);
    await screenshot(page, 'call-page-03-live-phone');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);

    await step('the page counts down the last seconds before the limit', ctx, async () => {
      expect(await page.getByTestId('call-limit').count()).toBe(0);
      const countdown = page.getByTestId('call-limit');
      await countdown.waitFor({ timeout: MAX_CALL_SECONDS * 1000 });
      expect(await countdown.getByText(en.call.limitSoonTitle).isVisible()).toBe(true);
      const first = (await countdown.textContent()) ?? '';
      expect(first).toMatch(/ends this call in 0:1[0-5]\./);
      await new Promise((r) => setTimeout(r, 2100));
      const later = (await countdown.textContent()) ?? '';
      const secondsOf = (s: string) => Number(/0:(\d\d)\./.exec(s)?.[1]);
      expect(secondsOf(first) - secondsOf(later)).toBeGreaterThanOrEqual(1);
      await screenshot(page, 'call-page-03b-limit-near-phone');
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    });
    await step('the server ends the call at its time limit', ctx, async () => {
      await page
        .getByText(`Call ended — ${en.endReason.limit_reached}.`)
        .waitFor({ timeout: (MAX_CALL_SECONDS + 30) * 1000 });
    });
    // Hung up: no call controls, no agent state, the next step and a way to start again.
    expect(await page.getByRole('button', { name: 'End call' }).count()).toBe(0);
    expect(await page.getByRole('meter').count()).toBe(0);
    expect(await page.locator('.agent-state').count()).toBe(0);
    expect(await page.getByTestId('call-next-step').textContent()).toBe(en.call.nextStepGuest);
    expect(await page.getByRole('button', { name: en.call.startNew }).isVisible()).toBe(true);
    expect(await page.getByTestId('call-badge').count()).toBe(0);
    expect(await page.getByTestId('call-limit').count()).toBe(0);
    await screenshot(page, 'call-page-04-server-ended-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'call-page-05-server-ended-desktop');
    expect(errors).toEqual([]);
  }, 150_000);
});
