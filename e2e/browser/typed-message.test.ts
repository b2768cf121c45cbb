/**
 * Issue 24, browser: typed messages in a call. A signed-in caller types into the call page's text
 * box during a call (no speech at all: the microphone stays silent); the agent answers by voice,
 * the live transcript shows the typed line marked as typed and the spoken answer's line, and the
 * conversation page in history shows the typed turn marked too. The page refuses an over-long
 * message with a clear error and sends nothing. Whole real stack (gateway, LiveKit, agent worker
 * with the real openai/cartesia plugins against the fakes), built web client, Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CATALOGUES } from '@parley/protocol/i18n';
import { TYPED_TEXT_MAX } from '@parley/protocol';
import type { Stack } from '@parley/testkit/stack';
import { openPage, probe, screenshot, startBrowserStack, step, transcriptText } from './support';

const TYPED = 'My dog is called Biscuit, spelled B-I-S-C-U-I-T.';
const REPLY = 'Biscuit is a lovely name for a dog.';

describe('browser: typed messages in a call', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const ctx = () => ({ page, stack, errors });

  beforeAll(async () => {
    // The caller never speaks (the page's microphone is a silent stand-in): every user turn is typed.
    ({ stack, browser } = await startBrowserStack(
      {
        deepgram: { transcripts: [] },
        openai: {
          ttftMs: 60,
          reply: ({ messages }) =>
            String(messages.at(-1)?.content ?? '').includes('Biscuit') ? REPLY : 'I did not get that.',
        },
      },
      'unused',
      { voice: 'en-us', leadSilenceS: 1 },
    ));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('sends a typed message during a call, hears the spoken answer, and finds both in history marked', async () => {
    const en = await CATALOGUES.en();
    page = await openPage(browser, errors);
    await page.goto(stack.gatewayUrl + '/signup');

    await step('sign up', ctx, async () => {
      await page.getByLabel('Your name').fill('Tess');
      await page.getByLabel('Email').fill(`typed-${Date.now()}@example.com`);
      await page.getByLabel('Password').fill('quiet orange lantern 42');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('heading', { name: 'Settings' }).waitFor({ timeout: 10_000 });
    });

    const box = page.getByRole('textbox', { name: en.typed.label });
    const send = page.getByRole('button', { name: en.typed.send, exact: true });
    await step('call: connect, hear the greeting, the text box opens', ctx, async () => {
      await page.getByRole('link', { name: en.nav.call, exact: true }).click();
      await page.getByRole('button', { name: en.call.start }).click();
      await page.getByRole('button', { name: en.controls.end }).waitFor({ timeout: 15_000 });
      await page.locator('li.turn-agent', { hasText: 'Hi, this is Parley' }).waitFor({ timeout: 30_000 });
      await page.getByRole('status').filter({ hasText: en.agentState.listening }).waitFor({ timeout: 10_000 });
      await expect.poll(() => box.isEnabled(), { timeout: 10_000 }).toBe(true);
    });
    await screenshot(page, 'typed-01-call-desktop');

    await step('an over-long message is refused on the page', ctx, async () => {
      const requestsBefore = stack.fakes.openai.chatRequests.length;
      await box.fill('a'.repeat(TYPED_TEXT_MAX + 1));
      await send.click();
      await page
        .getByRole('alert')
        .filter({ hasText: `Too long: at most ${TYPED_TEXT_MAX} characters` })
        .waitFor({ timeout: 5_000 });
      expect(await box.getAttribute('aria-invalid')).toBe('true');
      await screenshot(page, 'typed-02-too-long');
      expect(stack.fakes.openai.chatRequests.length).toBe(requestsBefore);
    });

    const sentAt = await step('type a message and send it with Enter', ctx, async () => {
      await box.fill(TYPED);
      await box.press('Enter');
      const at = Date.now();
      await expect.poll(() => box.inputValue(), { timeout: 5_000 }).toBe('');
      return at;
    });

    await step('the typed line (marked) and the spoken answer appear live', ctx, async () => {
      const typedLine = page.locator('li.turn-user[data-typed="true"]', { hasText: TYPED });
      await typedLine.waitFor({ timeout: 15_000 });
      expect(await typedLine.locator('.tag', { hasText: en.typed.tag }).count()).toBe(1);
      await page.locator('li.turn-agent', { hasText: REPLY }).waitFor({ timeout: 20_000 });
    });
    await screenshot(page, 'typed-03-answered-desktop');
    await page.setViewportSize({ width: 375, height: 812 });
    await screenshot(page, 'typed-04-answered-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    const p = await probe(page);
    const transcript = await transcriptText(page);
    // The model got the typed text as the caller's turn, and the reply was spoken: synthesised by
    // the TTS and played by the page (voiced remote audio after sending).
    const asked = stack.fakes.openai.chatRequests.find((r) => String(r.messages.at(-1)?.content) === TYPED);
    expect(asked, transcript).toBeDefined();
    expect(asked!.messages.at(-1)!.role).toBe('user');
    expect(stack.fakes.cartesia.requests.map((r) => r.transcript).join(' ')).toContain('Biscuit is a lovely name');
    const replyLine = p.lines.find((l) => l.role === 'agent' && l.kind === 'final' && l.text === REPLY)!;
    const voiced = p.levels.filter((l) => l.at >= sentAt && l.at <= replyLine.at + 500 && l.rms > 0.01);
    expect(voiced.length * 50, transcript).toBeGreaterThanOrEqual(800);
    // No speech ever reached the recogniser: the user turn is the typed one only.
    expect(stack.fakes.deepgram.transcriptsSent).toEqual([]);
    expect(transcript).toContain(`${en.transcript.you}: ${TYPED}`);
    expect(transcript).toContain(`${en.transcript.agent}: ${REPLY}`);

    await step('end the call; it is stored with the typed turn marked', ctx, async () => {
      await page.getByRole('button', { name: en.controls.end }).click();
      await page.getByRole('link', { name: en.call.openHistory }).waitFor({ timeout: 10_000 });
      const deadline = Date.now() + 15_000;
      for (;;) {
        const conv = await stack.database.db('conversations').first();
        if (conv?.status === 'ended') break;
        if (Date.now() > deadline) throw new Error(`conversation not ended: ${JSON.stringify(conv)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    const rows = await stack.database.db('utterances').orderBy('seq').select('role', 'text', 'typed');
    expect(
      rows.map((r) => [r.role, r.typed]),
      JSON.stringify(rows),
    ).toEqual([
      ['agent', false],
      ['user', true],
      ['agent', false],
    ]);
    expect(rows.slice(1).map((r) => r.text)).toEqual([TYPED, REPLY]);

    await step('the conversation page shows the typed turn marked', ctx, async () => {
      await page.getByRole('link', { name: en.call.openHistory }).click();
      await page.locator('article.conversation li.turn').nth(2).waitFor({ timeout: 10_000 });
    });
    const turns = page.locator('article.conversation li.turn');
    expect(await turns.count()).toBe(3);
    expect(await turns.nth(1).locator('.turn-text').textContent()).toBe(TYPED);
    expect(await turns.nth(1).getAttribute('data-typed')).toBe('true');
    expect(await turns.nth(1).locator('.tag', { hasText: en.typed.tag }).count()).toBe(1);
    expect(await turns.nth(2).locator('.tag', { hasText: en.typed.tag }).count()).toBe(0);
    await screenshot(page, 'typed-05-history-desktop');
    await page.setViewportSize({ width: 375, height: 812 });
    await screenshot(page, 'typed-06-history-phone');

    expect(errors).toEqual([]);
  }, 90_000);
});
