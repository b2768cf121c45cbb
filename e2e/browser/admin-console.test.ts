/**
 * Issue 22, browser: the admin console. An account promoted with the real admin command signs in
 * in Chromium, finds a user, changes their limits, disables them (their open session ends and
 * their sign-in is then refused with the console's reason), sees the usage and cost line of a real
 * call that user made, and reads the audit events of those actions; a non-admin opening /admin gets
 * the ordinary not-found page and no header link. Whole real stack (gateway serving the built
 * client, LiveKit, agent worker with the real plugins against the fakes, Postgres).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CATALOGUES } from '@parley/protocol/i18n';
import type { TestClient } from '@parley/testkit';
import { registerUser, uniqueEmail } from '@parley/testkit/accounts';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { synthesizeSpeechWav } from '@parley/testkit/speech';
import type { Stack } from '@parley/testkit/stack';
import { waitFor } from '../calls/helpers';
import { openPage, screenshot, startBrowserStack, step, submitLogin } from './support';

const ROOT = path.resolve(import.meta.dirname, '../..');
const exec = promisify(execFile);
const SAID = 'Hello there, tell me something about the sea.';
// Round operator prices: the call costs cents, shown with two decimals.
const PRICES = {
  'stt/deepgram/*': { usdPerAudioMinute: 0.5 },
  'llm/openai/*': { usdPerMillionPromptTokens: 3000, usdPerMillionCompletionTokens: 9000 },
  'tts/cartesia/*': { usdPerMillionCharacters: 2000 },
};
const usd = (n: number) =>
  new Intl.NumberFormat('en', { style: 'currency', currency: 'USD', minimumFractionDigits: 2 }).format(n);

describe('browser: the admin console', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let caller: Caller | undefined;
  const errors: string[] = [];
  const ctx = () => ({ page, stack, errors });

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-prices-'));
    writeFileSync(path.join(dir, 'prices.json'), JSON.stringify(PRICES));
    ({ stack, browser } = await startBrowserStack(
      {
        deepgram: { transcripts: [SAID] },
        openai: { ttftMs: 60, reply: () => 'The sea covers most of the planet.' },
        gatewayEnv: { PRICES_FILE: path.join(dir, 'prices.json') },
      },
      'unused',
      { voice: 'en-us', leadSilenceS: 1 },
    ));
  }, 120_000);

  afterAll(async () => {
    await caller?.hangUp().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
  });

  /** The admin command as an operator types it, against the stack's database. */
  async function adminCommand(args: string[]) {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: stack.database.url };
    delete env.DATA_DIR;
    const r = await exec(process.execPath, ['--import', 'tsx', 'gateway/src/admin/cli.ts', ...args], {
      cwd: ROOT,
      env,
    });
    return r.stdout;
  }

  const signIn = (p: Page, email: string, password: string) => submitLogin(p, stack.gatewayUrl, email, password);

  it('lets a promoted admin find a user, change limits, disable them and read usage, cost and audit; 404 for others', async () => {
    const en = await CATALOGUES.en();

    // A user who makes a real call (through the stack's fakes) and stays signed in.
    const userClient: TestClient = stack.client();
    const caroline = await registerUser(userClient, { displayName: 'Caroline', email: uniqueEmail('caroline') });
    await step('a real call by the user', ctx, async () => {
      const { pcm } = await synthesizeSpeechWav(SAID, { lang: 'en-us', sampleRate: 48000 });
      caller = await startCall(userClient);
      await caller.agentAudio.firstVoicedAfter(0, 20_000);
      await waitForAgentState(caller, 'listening');
      const { endedAt } = await caller.say(pcm);
      const first = await caller.agentAudio.firstVoicedAfter(endedAt, 15_000);
      await caller.agentAudio.silentFor(700, first);
      await caller.hangUp();
      caller = undefined;
    });
    let own: { total: { costUsd: number; calls: number } } | undefined;
    await waitFor(
      async () => {
        own = (await userClient.get('/api/me/usage/cost')).body;
        return (own?.total.calls ?? 0) === 1 && own!.total.costUsd >= 0.01;
      },
      30_000,
      "the call priced in the user's own usage",
    );

    // The operator promotes the first admin with the command, no SQL.
    const adminClient = stack.client();
    const root = await registerUser(adminClient, { displayName: 'Root', email: uniqueEmail('root') });
    expect((await adminClient.get('/api/admin/users')).status).toBe(404);
    expect(await adminCommand(['promote', root.email])).toBe(`${root.email} is now an admin\n`);

    page = await openPage(browser, errors);
    await step('the admin signs in and opens the console from the header', ctx, async () => {
      await signIn(page, root.email, root.password);
      await page.getByRole('link', { name: en.nav.admin, exact: true }).click();
      await page.getByRole('heading', { name: en.admin.title }).waitFor({ timeout: 10_000 });
    });

    const card = page.getByRole('listitem', { name: caroline.email });
    await step('finds the user by searching', ctx, async () => {
      await page.getByLabel(en.admin.search).fill('CAROLINE');
      await page.getByRole('button', { name: en.admin.searchButton, exact: true }).click();
      await card.waitFor({ timeout: 10_000 });
      await expect.poll(() => page.locator('.admin-user-list').getByRole('listitem').count()).toBe(1);
    });
    await screenshot(page, 'admin-01-users-desktop');
    await page.setViewportSize({ width: 375, height: 812 });
    await screenshot(page, 'admin-01-users-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    await step('changes the limits', ctx, async () => {
      await card.getByRole('button', { name: en.admin.edit }).click();
      await card.getByLabel(en.admin.quotaField).fill('45');
      await card.getByLabel(en.admin.maxCallField).fill('300');
      await card.getByRole('button', { name: en.admin.save, exact: true }).click();
      await card.getByText('45 min').waitFor({ timeout: 10_000 });
      await card.getByText('300 s').waitFor();
    });
    expect(
      await stack.database.db('users').where({ id: caroline.id }).first('quota_minutes_per_day', 'max_call_seconds'),
    ).toEqual({ quota_minutes_per_day: 45, max_call_seconds: 300 });

    await step('disables the user: their session ends and their sign-in is refused', ctx, async () => {
      expect((await userClient.get('/api/auth/me')).status).toBe(200);
      await card.getByRole('button', { name: en.admin.disable, exact: true }).click();
      await card.getByText(en.admin.disabled, { exact: true }).waitFor({ timeout: 10_000 });
      await card.getByRole('button', { name: en.admin.enable, exact: true }).waitFor();
    });
    expect((await userClient.get('/api/auth/me')).status).toBe(401);
    const userPage = await openPage(browser, errors, 375);
    await step("the disabled user's sign-in is refused with the reason", ctx, async () => {
      await signIn(userPage, caroline.email, caroline.password);
      await userPage
        .getByRole('alert')
        .filter({ hasText: 'disabled by an administrator' })
        .waitFor({ timeout: 10_000 });
    });
    expect(userPage.url()).toMatch(/\/login$/);
    await screenshot(userPage, 'admin-02-disabled-sign-in-phone');
    await userPage.context().close();

    await step("the usage tab shows the user's call with its cost", ctx, async () => {
      const nav = page.getByRole('navigation', { name: en.admin.sections });
      await nav.getByRole('button', { name: en.admin.usage }).click();
      const row = page.getByRole('row').filter({ hasText: caroline.email });
      await row.waitFor({ timeout: 10_000 });
      const cells = await row.getByRole('cell').allTextContents();
      expect(cells[0]).toBe(caroline.email);
      expect(cells[1]).toBe('1');
      expect(cells.at(-1)).toBe(usd(own!.total.costUsd));
    });
    await screenshot(page, 'admin-03-usage-desktop');

    await step('the audit tab shows the actions, filtered by target', ctx, async () => {
      const nav = page.getByRole('navigation', { name: en.admin.sections });
      await nav.getByRole('button', { name: en.admin.audit }).click();
      await page.getByLabel(en.admin.target).fill(caroline.email);
      await page.getByLabel(en.admin.actor).fill(root.email);
      await page.getByRole('button', { name: en.admin.filter, exact: true }).click();
      await page.getByText('admin_user_disabled').waitFor({ timeout: 10_000 });
      const events = page.locator('.admin-audit-event');
      await expect.poll(() => events.count()).toBe(2);
      expect(await events.locator('.admin-audit-type').allTextContents()).toEqual([
        'admin_user_disabled',
        'admin_limits_change',
      ]);
      const limits = await events.nth(1).textContent();
      expect(limits).toContain('quotaMinutesPerDay: 45');
      expect(limits).toContain('maxCallSeconds: 300');
      expect(await events.first().textContent()).toContain(root.email);
      expect(await events.first().textContent()).toMatch(/\.x|::\/48/);
      // The refused sign-in, the user's own event.
      await page.getByLabel(en.admin.actor).fill('');
      await page.getByLabel(en.admin.type).fill('login_failed');
      await page.getByRole('button', { name: en.admin.filter, exact: true }).click();
      await page.getByText('reason: account_disabled').waitFor({ timeout: 10_000 });
      // The command's promotion.
      await page.getByLabel(en.admin.target).fill(root.email);
      await page.getByLabel(en.admin.type).fill('admin_role_change');
      await page.getByRole('button', { name: en.admin.filter, exact: true }).click();
      await page.getByText('via: cli').waitFor({ timeout: 10_000 });
      expect(await page.locator('.admin-audit-event').textContent()).toContain(en.admin.commandLine);
    });
    await screenshot(page, 'admin-04-audit-desktop');
    await page.setViewportSize({ width: 375, height: 812 });
    await screenshot(page, 'admin-04-audit-phone');

    await step('a signed-in non-admin gets the not-found page at /admin, and no header link', ctx, async () => {
      const other = await registerUser(stack.client(), { displayName: 'Plain' });
      const plain = await openPage(browser, errors);
      await signIn(plain, other.email, other.password);
      await plain.getByRole('link', { name: en.nav.history, exact: true }).waitFor({ timeout: 10_000 });
      expect(await plain.getByRole('link', { name: en.nav.admin, exact: true }).count()).toBe(0);
      await plain.goto(`${stack.gatewayUrl}/admin`);
      await plain.getByRole('heading', { name: en.notFound.title }).waitFor({ timeout: 10_000 });
      expect(await plain.getByText(en.admin.title).count()).toBe(0);
      await screenshot(plain, 'admin-05-not-admin-desktop');
      await plain.context().close();
    });
    expect(errors.filter((e) => !/status of (401|403)/.test(e))).toEqual([]);
  });
});
