/**
 * Issue 5, browser: a person signs up, sets preferences, calls, watches both sides of the
 * conversation appear live, hangs up, finds the call in history and opens it, all through the
 * built web client in Chromium against the whole real stack (gateway, LiveKit, agent worker).
 * The microphone is Chromium's fake device playing an espeak-ng WAV; the STT is the Deepgram fake,
 * scripted with the words the WAV says, so what the transcript shows is exactly known.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CATALOGUES } from '@parley/protocol/i18n';
import type { Stack } from '@parley/testkit/stack';
import { openPage, pickMicrophone, probe, screenshot, startBrowserStack, step, transcriptText } from './support';

const SAID = 'Hola, me gustaría hablar del mar.';
const REPLY = 'El mar cubre casi tres cuartas partes de la Tierra.';
const PROMPT = 'Llámame Capitana y sé breve.';
const TOPIC = 'navegación a vela';
const LEAD_S = 1;
const DEFAULT_CARTESIA_VOICE = '794f9389-aac1-45b6-b726-9d9369183238'; // CARTESIA_VOICE's default

describe('browser: sign up, preferences, call, history', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const ctx = () => ({ page, stack, errors });

  beforeAll(async () => {
    // The WAV plays when the caller picks a microphone during the call (see pickMicrophone).
    ({ stack, browser } = await startBrowserStack(
      { deepgram: { transcripts: [SAID], endpointSilenceMs: 700 }, openai: { ttftMs: 60, reply: () => REPLY } },
      SAID,
      { voice: 'es', leadSilenceS: LEAD_S },
    ));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('signs up, saves preferences, talks with a live transcript, ends the call and opens it from history', async () => {
    const t0 = Date.now();
    // Saving Spanish as the preferred language switches the whole UI to Spanish at once (issue 23):
    // from there on, the page is read through the Spanish catalogue.
    const es = await CATALOGUES.es();
    const fill = (text: string, vars: Record<string, string | number>) =>
      text.replace(/\{\{(\w+)\}\}/g, (_, k: string) => String(vars[k]));
    page = await openPage(browser, errors);
    await page.goto(stack.gatewayUrl + '/');
    await page.getByRole('link', { name: 'Create an account' }).waitFor();
    await screenshot(page, 'user-01-landing');

    await step('sign up', ctx, async () => {
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByLabel('Your name').fill('Marta');
      await page.getByLabel('Email').fill(`browser-${Date.now()}@example.com`);
      await page.getByLabel('Password').fill('quiet orange lantern 42');
      await screenshot(page, 'user-02-signup');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('heading', { name: 'Settings' }).waitFor({ timeout: 10_000 });
    });

    const voice = await step('set preferences', ctx, async () => {
      // A voice that is not the configured default (that one is listed first), so the test sees it travel.
      const voiceSelect = page.getByLabel('Voice', { exact: true });
      await voiceSelect.locator('option').nth(2).waitFor({ state: 'attached' });
      const chosen = (await voiceSelect.locator('option').last().getAttribute('value'))!;
      expect(chosen).not.toBe(DEFAULT_CARTESIA_VOICE);
      await voiceSelect.selectOption(chosen);
      await page.getByLabel('Language', { exact: true }).selectOption('es');
      await page.getByLabel('Favourite topics').fill(TOPIC);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.getByLabel('Your instructions for Parley').fill(PROMPT);
      await page.getByRole('button', { name: 'Save preferences' }).click();
      // Saved in Spanish: the whole Settings page now reads in Spanish (issue 23).
      await page.getByText(es.settings.savedText).waitFor({ timeout: 10_000 });
      // The form shows what the server stored (the select, labelled in Spanish now).
      expect(await page.getByLabel(es.settings.voice, { exact: true }).inputValue()).toBe(chosen);
      await page.getByRole('heading', { name: es.settings.title, level: 1 }).waitFor();
      for (const name of [
        es.settings.prefsTitle,
        es.settings.profileTitle,
        es.settings.passwordTitle,
        es.settings.dataTitle,
      ])
        await page.getByRole('heading', { name }).waitFor();
      expect(await page.getByLabel(es.settings.topics).count()).toBe(1);
      expect(await page.getByText(fill(es.settings.topicsHint, { n: 1, max: 10 })).count()).toBe(1);
      expect(await page.getByRole('button', { name: es.settings.savePrefs }).count()).toBe(1);
      expect(await page.getByRole('button', { name: es.settings.changePassword }).count()).toBe(1);
      expect(await page.getByRole('link', { name: es.settings.exportDownload }).count()).toBe(1);
      expect(await page.getByRole('main').textContent()).not.toContain('Save preferences');
      await screenshot(page, 'user-03-settings-saved');
      return chosen;
    });

    await step('call: connect and hear the greeting', ctx, async () => {
      await page.getByRole('link', { name: es.nav.call, exact: true }).click();
      await page.getByRole('heading', { name: es.call.titleUser }).waitFor();
      await screenshot(page, 'user-04-call-idle');
      await page.getByRole('button', { name: es.call.start }).click();
      await page.getByRole('button', { name: es.controls.end }).waitFor({ timeout: 15_000 });
      // The greeting (Spanish, from the preferences) is the first agent line; then the agent listens.
      await page.locator('li.turn-agent', { hasText: 'Hola, soy Parley' }).waitFor({ timeout: 30_000 });
      await page.getByRole('status').filter({ hasText: es.agentState.listening }).waitFor({ timeout: 10_000 });
    });
    const mic = await step('pick a microphone and speak', ctx, () => pickMicrophone(page, es.controls.microphone));

    await step('call: own words, then the agent reply, appear live', ctx, async () => {
      await page.locator('li.turn-user', { hasText: SAID }).waitFor({ timeout: 25_000 });
      await page.locator('li.turn-agent', { hasText: REPLY }).waitFor({ timeout: 20_000 });
    });
    await screenshot(page, 'user-05-call-live');

    const p = await probe(page);
    const userInterim = p.lines.find((l) => l.role === 'user' && l.kind === 'interim');
    const userFinal = p.lines.find((l) => l.role === 'user' && l.kind === 'final');
    const agentFinal = p.lines.find((l) => l.role === 'agent' && l.kind === 'final' && l.text === REPLY);
    const agentInterim = p.lines.find(
      (l) => l.role === 'agent' && l.kind === 'interim' && userFinal && l.at >= userFinal.at - 2000,
    );
    const transcript = await transcriptText(page);
    // Live: the caller's words showed provisionally (a growing prefix of what they said) before the
    // final line, and the reply streamed in before its final line.
    expect(userInterim, transcript).toBeDefined();
    expect(
      SAID.startsWith(userInterim!.text.replace(/\s+$/, '')) ||
        SAID.toLowerCase().includes(userInterim!.text.toLowerCase()),
      userInterim!.text,
    ).toBe(true);
    expect(userInterim!.at).toBeLessThan(userFinal!.at);
    expect(agentInterim, JSON.stringify(p.lines)).toBeDefined();
    expect(agentInterim!.at).toBeLessThan(agentFinal!.at);
    // The screen reads: greeting, the caller's scripted words, the reply; speakers labelled.
    expect(transcript).toContain(`${es.transcript.you}: ${SAID}`);
    expect(transcript).toContain(`${es.transcript.agent}: ${REPLY}`);
    // The page played the reply out loud: voiced remote audio while the reply was spoken.
    expect(p.meters).toBeGreaterThan(0);
    const replyAudio = p.levels.filter((l) => l.at >= userFinal!.at && l.at <= agentFinal!.at + 500 && l.rms > 0.01);
    expect(replyAudio.length * 50).toBeGreaterThanOrEqual(1000);
    const speechAt = mic.openedAt + LEAD_S * 1000;
    console.info(
      `[user-flow] Start call → greeting line ${(p.lines.find((l) => l.role === 'agent' && l.kind === 'final')?.at ?? 0) - p.silentMicAt} ms; ` +
        `picked "${mic.label}"; first user interim ${userInterim!.at - speechAt} ms after speech onset; ` +
        `user final → agent reply final ${agentFinal!.at - userFinal!.at} ms`,
    );

    await step('end the call', ctx, async () => {
      await page.getByRole('button', { name: es.controls.end }).click();
      // The reason shows once the server's end event reaches the page (it may trail the click).
      await page
        .getByText(fill(es.call.endedWhy, { reason: es.endReason.caller_left }))
        .or(page.getByText(es.call.ended, { exact: true }))
        .first()
        .waitFor({ timeout: 10_000 });
      await page.getByRole('link', { name: es.call.openHistory }).waitFor();
    });
    await screenshot(page, 'user-06-call-ended');

    // The preferences reached the providers: STT language, system prompt with topic and prompt, TTS voice.
    expect(stack.fakes.deepgram.sessions.length).toBeGreaterThan(0);
    expect(stack.fakes.deepgram.sessions.every((s) => s.query.language === 'es')).toBe(true);
    const system = String(stack.fakes.openai.chatRequests[0]!.messages[0]!.content);
    expect(system).toContain(PROMPT);
    expect(system).toContain(TOPIC);
    expect(system).toContain('Always answer in Spanish');
    expect(stack.fakes.cartesia.requests.length).toBeGreaterThan(0);
    expect(stack.fakes.cartesia.requests.every((r) => r.voiceId === voice && r.language === 'es')).toBe(true);

    // Stored once the agent reports the end: greeting, the caller's words, the reply.
    const rows = await step('the call is stored', ctx, async () => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const conv = await stack.database.db('conversations').first();
        if (conv?.status === 'ended') break;
        if (Date.now() > deadline) throw new Error(`conversation not ended: ${JSON.stringify(conv)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      return stack.database.db('utterances').orderBy('seq').select('seq', 'role', 'text', 'interrupted');
    });
    const stored = JSON.stringify(rows) + '\npage lines: ' + JSON.stringify(p.lines);
    expect(
      rows.map((r) => r.role),
      stored,
    ).toEqual(['agent', 'user', 'agent']);
    expect(rows[0]!.text, stored).toMatch(/^Hola/);
    expect(
      rows.slice(1).map((r) => r.text),
      stored,
    ).toEqual([SAID, REPLY]);

    await step('find the conversation in history', ctx, async () => {
      await page.getByRole('link', { name: es.nav.history, exact: true }).click();
      await page.getByRole('heading', { name: es.history.title }).waitFor();
      await page.locator('.conversation-item').first().waitFor({ timeout: 10_000 });
    });
    expect(await page.locator('.conversation-item').count()).toBe(1);
    expect(await page.locator('.conversation-item').textContent()).toContain(
      fill(es.history.turns_other!, { count: 3 }),
    );
    await screenshot(page, 'user-07-history');

    // Search finds it by a word the caller said.
    await page.getByLabel(es.history.search, { exact: true }).fill('mar');
    await page.getByRole('button', { name: es.history.search, exact: true }).click();
    await page.getByTestId('snippet').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('.conversation-item mark').first().textContent()).toMatch(/mar/i);

    await step('open the conversation', ctx, async () => {
      await page.locator('.conversation-link').first().click();
      await page.locator('article.conversation li.turn').nth(2).waitFor({ timeout: 10_000 });
    });
    const turns = page.locator('article.conversation li.turn');
    expect(await turns.count()).toBe(3);
    expect(await turns.nth(0).locator('.speaker').textContent()).toBe(es.transcript.agent);
    expect(await turns.nth(1).locator('.turn-text').textContent()).toBe(SAID);
    expect(await turns.nth(1).locator('.speaker').textContent()).toBe(es.transcript.you);
    expect(await turns.nth(2).locator('.turn-text').textContent()).toBe(REPLY);
    expect(await page.locator('.conversation-head').textContent()).toContain(es.endReason.caller_left);
    // Per-turn latency: the reply's end-to-end figure and, opened, its breakdown.
    const latency = turns.nth(2).locator('details.latency');
    expect(await latency.locator('summary').textContent()).toMatch(
      new RegExp(`^${es.latency.repliedIn} \\d[\\d.,]*\\s?\\S+$`),
    );
    await latency.locator('summary').click();
    for (const label of [es.latency.endOfUtteranceDelayMs, es.latency.llmTtftMs, es.latency.ttsTtfbMs])
      expect(await latency.locator('dt', { hasText: label }).count(), label).toBe(1);
    await screenshot(page, 'user-08-conversation');

    expect(errors).toEqual([]);
    console.info(`[user-flow] whole flow ${Date.now() - t0} ms`);
  }, 90_000);
});
