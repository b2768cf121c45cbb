/**
 * Issue 5, browser: a visitor with no account calls from the landing page on a phone-width screen,
 * sees both sides of the conversation live, hangs up, and nothing is kept: no database row, and
 * an account made afterwards in the same browser has an empty history. Chromium's fake microphone
 * plays an espeak-ng WAV; the Deepgram fake is scripted with the words it says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Stack } from '@parley/testkit/stack';
import { openPage, pickMicrophone, probe, screenshot, startBrowserStack, step, transcriptText } from './support';

const SAID = 'Hello there, tell me about the moon.';
const REPLY = 'The moon is about four hundred thousand kilometres away.';
const LEAD_S = 1;

describe('browser: guest call', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const ctx = () => ({ page, stack, errors });

  beforeAll(async () => {
    ({ stack, browser } = await startBrowserStack(
      { deepgram: { transcripts: [SAID], endpointSilenceMs: 700 }, openai: { ttftMs: 60, reply: () => REPLY } },
      SAID,
      { voice: 'en-us', leadSilenceS: LEAD_S },
    ));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('talks with no account on a phone-width screen, stores nothing, and a later account’s history is empty', async () => {
    const t0 = Date.now();
    page = await openPage(browser, errors, 375);
    await page.goto(stack.gatewayUrl + '/');
    await step('open the guest call from the landing page', ctx, async () => {
      await page.getByRole('link', { name: 'Try it now — no account' }).click();
      await page.getByRole('heading', { name: 'Guest call' }).waitFor();
    });
    expect(await page.getByText('Guest calls are not saved.').count()).toBe(1);
    await screenshot(page, 'guest-01-call-idle');

    await step('call: connect and hear the greeting', ctx, async () => {
      await page.getByRole('button', { name: 'Start call' }).click();
      await page.getByRole('button', { name: 'End call' }).waitFor({ timeout: 15_000 });
      await page.locator('li.turn-agent', { hasText: 'Hi, this is Parley' }).waitFor({ timeout: 30_000 });
      await page
        .getByRole('status')
        .filter({ hasText: /^Listening$/ })
        .waitFor({ timeout: 10_000 });
    });
    const mic = await step('pick a microphone and speak', ctx, () => pickMicrophone(page));
    await step('call: own words, then the agent reply, appear live', ctx, async () => {
      await page.locator('li.turn-user', { hasText: SAID }).waitFor({ timeout: 20_000 });
      await page.locator('li.turn-agent', { hasText: REPLY }).waitFor({ timeout: 20_000 });
    });
    await screenshot(page, 'guest-02-call-live');
    const transcript = await transcriptText(page);
    expect(transcript).toContain(`You: ${SAID}`);
    expect(transcript).toContain(`Parley: ${REPLY}`);
    const p = await probe(page);
    const userInterim = p.lines.find((l) => l.role === 'user' && l.kind === 'interim');
    const userFinal = p.lines.find((l) => l.role === 'user' && l.kind === 'final');
    expect(userInterim, JSON.stringify(p.lines)).toBeDefined();
    expect(userInterim!.at).toBeLessThan(userFinal!.at);
    console.info(
      `[guest-flow] picked "${mic.label}"; speech at +${LEAD_S * 1000} ms; first user interim ${userInterim!.at - mic.openedAt - LEAD_S * 1000} ms after speech onset`,
    );
    // No horizontal overflow at 375 px.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);

    await step('end the call', ctx, async () => {
      await page.getByRole('button', { name: 'End call' }).click();
      // The reason shows once the server's end event reaches the page (it may trail the click).
      await page.getByText(/^Call ended(?: — You hung up)?\.$/).waitFor({ timeout: 10_000 });
    });
    expect(await page.getByRole('link', { name: 'Open in history' }).count()).toBe(0);
    await screenshot(page, 'guest-03-call-ended');

    // The call really ran through the providers (defaults: English, default voice)...
    expect(stack.fakes.deepgram.sessions.every((s) => s.query.language === 'en-US')).toBe(true);
    expect(stack.fakes.openai.chatRequests.length).toBeGreaterThan(0);
    // ...and left no row anywhere.
    const count = async (table: string) => Number((await stack.database.db(table).count({ n: '*' }).first())?.n);
    expect(await count('conversations')).toBe(0);
    expect(await count('utterances')).toBe(0);

    await step('sign up after the guest call', ctx, async () => {
      await page.getByRole('link', { name: 'Create an account to keep calls' }).click();
      await page.getByLabel('Your name').fill('Former Guest');
      await page.getByLabel('Email').fill(`guest-later-${Date.now()}@example.com`);
      await page.getByLabel('Password').fill('quiet orange lantern 42');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('heading', { name: 'Settings' }).waitFor({ timeout: 10_000 });
    });
    await step('the new account’s history is empty', ctx, async () => {
      await page.goto(stack.gatewayUrl + '/history');
      await page.getByText('No conversations yet.').waitFor({ timeout: 10_000 });
    });
    expect(await page.locator('.conversation-item').count()).toBe(0);
    await screenshot(page, 'guest-04-history-after-signup');
    expect(await count('conversations')).toBe(0);

    expect(errors).toEqual([]);
    console.info(`[guest-flow] whole flow ${Date.now() - t0} ms`);
  }, 90_000);
});
