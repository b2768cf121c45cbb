/**
 * Issue 23, browser: pages that tell the truth without a call stack — a gateway serving a copy of
 * the built client over a real database.
 * - History lists a call that never connected as such, dated by its creation (not 1970, not
 *   "Untitled conversation"), and a call still going with an "In progress" badge.
 * - After a redeploy removed the hashed chunk a page needs, opening that page shows a recoverable
 *   message (not a blank page) inside the layout; "Reload the page" loads the new build.
 * - axe-core finds no WCAG 2.1 A/AA violation on any page, signed out, signed in and as an admin, at 375
 *   and 1280 px: the shared-link page, the recovery pages and each admin section included (the call page
 *   before a call here; during a call in call-page.test.ts).
 */
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { HISTORY_TEST_ENV, registerUser, seedConversation, type TestUser } from '@parley/testkit/history';
import { axeViolations, launchChromium, openPage, requireWebBuild, screenshot, submitLogin, WEB_DIST } from './support';

describe('browser: history call states and a failed page chunk', () => {
  let gw: TestGateway;
  let browser: Browser;
  let user: TestUser;
  let dist: string;
  const errors: string[] = [];
  const created = new Date(Date.now() - 3 * 3600_000);
  let tidesId: string;

  beforeAll(async () => {
    requireWebBuild();
    // A copy of the build, so the test can "redeploy" (remove a chunk) without touching web/dist.
    dist = mkdtempSync(path.join(os.tmpdir(), 'parley-dist-'));
    cpSync(WEB_DIST, dist, { recursive: true });
    gw = await startTestGateway({ env: { ...HISTORY_TEST_ENV, WEB_DIST: dist } });
    user = await registerUser(gw, 'noor');
    // Oldest first: a finished call, a call that never connected, a call still going.
    tidesId = await seedConversation(gw.database.db, user.id, {
      title: 'Tides and moons',
      createdAt: new Date(Date.now() - 26 * 3600_000),
    });
    await seedConversation(gw.database.db, user.id, {
      title: null,
      status: 'created',
      createdAt: created,
      startedAt: null,
      endedAt: null,
      turns: [],
    });
    await seedConversation(gw.database.db, user.id, {
      title: null,
      status: 'active',
      createdAt: new Date(Date.now() - 60_000),
      endedAt: null,
      turns: [{ role: 'agent', text: 'Hi, this is Parley.' }],
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  async function signIn(page: Page) {
    await submitLogin(page, gw.url, user.email, user.password);
    await page.getByRole('link', { name: 'History' }).first().waitFor();
  }

  it('lists a never-connected call as such, dated by its creation, and a live call with a badge', async () => {
    const page = await openPage(browser, errors);
    await signIn(page);
    await page.goto(`${gw.url}/history`);
    await page.locator('.conversation-item').nth(2).waitFor({ timeout: 10_000 });
    const items = page.locator('.conversation-item');
    const texts = await items.allTextContents();
    const never = items.filter({ hasText: 'Call that did not connect' });
    expect(await never.count(), texts.join('\n')).toBe(1);
    expect(await never.textContent()).toContain('Did not connect');
    expect(await never.textContent()).not.toContain('Untitled conversation');
    expect(await never.locator('time').getAttribute('datetime')).toBe(created.toISOString());
    expect(await never.locator('time').textContent()).not.toMatch(/1970/);
    const live = items.filter({ has: page.locator('.tag-live') });
    expect(await live.count(), texts.join('\n')).toBe(1);
    expect(await live.locator('.tag-live').textContent()).toBe('In progress');
    expect(texts.join('\n')).not.toMatch(/1970/);
    await screenshot(page, 'page-states-01-history-desktop');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'page-states-02-history-phone');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a page whose chunk a redeploy removed shows a recoverable message, and reloading loads the new build', async () => {
    const pageErrors: string[] = [];
    const page = await openPage(browser, pageErrors, 375);
    await signIn(page);
    await page.goto(`${gw.url}/history`);
    await page.locator('.conversation-item').nth(2).waitFor({ timeout: 10_000 });
    // The redeploy: the old build's conversation-page chunk (not loaded yet in this browser) is gone;
    // the gateway answers index.html for it, as for any unknown path, which the browser refuses as a module.
    const assets = path.join(dist, 'assets');
    const chunk = readdirSync(assets).find((f) => /^ConversationPage-.*\.js$/.test(f));
    expect(chunk).toBeDefined();
    renameSync(path.join(assets, chunk!), path.join(dist, chunk!));

    await page.locator('.conversation-link', { hasText: 'Tides and moons' }).click();
    const alert = page.getByTestId('error-boundary');
    await alert.waitFor({ timeout: 10_000 }).catch(async (e: Error) => {
      await screenshot(page, 'FAILED-page-states-chunk');
      throw new Error(`${e.message}\npage errors:\n${pageErrors.join('\n')}\nurl ${page.url()}`);
    });
    expect(await alert.getByRole('heading').textContent()).toBe('Parley has been updated');
    expect(await alert.textContent()).toContain('Reload to continue.');
    // Inside the layout: the header and its navigation still work.
    expect(await page.getByRole('link', { name: 'History', exact: true }).isVisible()).toBe(true);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await screenshot(page, 'page-states-03-chunk-failed-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'page-states-04-chunk-failed-desktop');
    expect(pageErrors.join('\n')).toMatch(/dynamically imported module|MIME type/);

    // Another page works meanwhile, and leaving the broken one clears the message.
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await alert.count()).toBe(0);

    // The new build is in place: back on the conversation, "Reload the page" loads it.
    renameSync(path.join(dist, chunk!), path.join(assets, chunk!));
    await page.goBack();
    await alert.waitFor({ timeout: 10_000 }); // the browser keeps the failed import for this document
    await page.getByRole('button', { name: 'Reload the page' }).click();
    await page.getByRole('heading', { name: 'Tides and moons' }).waitFor({ timeout: 10_000 });
    expect(await alert.count()).toBe(0);
    await page.context().close();
  });

  it('axe: no WCAG 2.1 A/AA violation on any page, at phone and desktop width', async () => {
    const found: string[] = [];
    // A read-only link to one conversation (the shared-link page), and an admin (the admin console).
    const share = await user.client.post('/api/shares', { conversationId: tidesId });
    expect(share.status, share.text).toBe(201);
    const sharePath = new URL(share.body.url as string, gw.url).pathname;
    const admin = await registerUser(gw, 'ada');
    await gw.ctx.repos.users.setRole(admin.id, 'admin');
    const pageErrors: string[] = []; // the used reset / verify links answer 4xx on purpose
    for (const width of [375, 1280]) {
      const page = await openPage(browser, pageErrors, width);
      const check = async (name: string, path: string, ready: () => Promise<unknown>) => {
        await page.goto(`${gw.url}${path}`);
        await ready();
        for (const v of await axeViolations(page)) found.push(`${width}px ${name}: ${v}`);
      };
      await check('landing', '/', () => page.getByRole('link', { name: 'Create an account' }).first().waitFor());
      await check('log in', '/login', () => page.getByRole('button', { name: 'Log in', exact: true }).waitFor());
      await check('sign up', '/signup', () => page.getByRole('button', { name: 'Sign up', exact: true }).waitFor());
      await check('forgot password', '/forgot-password', () => page.getByRole('heading').first().waitFor());
      await check('guest call', '/guest', () => page.getByRole('button', { name: 'Start call' }).waitFor());
      await check('not found', '/no-such-page', () => page.getByRole('heading', { name: 'Page not found' }).waitFor());
      await check('shared link', sharePath, () => page.getByRole('heading', { name: 'Tides and moons' }).waitFor());
      await check('shared link gone', '/s/no-such-token-0123456789abcdef', () =>
        page.getByRole('heading', { name: 'Shared conversation not found' }).waitFor(),
      );
      await check('reset password', '/reset-password#token=tok_0123456789abcdefghijklmnopqrstuvwxyzABCD', () =>
        page.getByRole('button', { name: 'Set new password' }).waitFor(),
      );
      await check('reset password, no link', '/reset-password', () =>
        page.getByRole('link', { name: 'Ask for a new link' }).waitFor(),
      );
      await check('verify email, used link', '/verify-email#token=tok_0123456789abcdefghijklmnopqrstuvwxyzABCD', () =>
        page.getByText('The address could not be confirmed').waitFor(),
      );
      await signIn(page);
      await check('call', '/call', () => page.getByRole('button', { name: 'Start call' }).waitFor());
      await check('history', '/history', () => page.locator('.conversation-item').nth(2).waitFor());
      const id = await page.locator('.conversation-link', { hasText: 'Tides and moons' }).getAttribute('href');
      await check('conversation', id!, () => page.getByRole('heading', { name: 'Tides and moons' }).waitFor());
      await check('settings', '/settings', () => page.getByRole('button', { name: 'Save preferences' }).waitFor());
      await page.context().close();
      // The admin console, each section (?tab=), signed in as the admin.
      const adminPage = await openPage(browser, pageErrors, width);
      await adminPage.goto(`${gw.url}/login`);
      await adminPage.getByLabel('Email').fill(admin.email);
      await adminPage.getByLabel('Password').fill(admin.password);
      await adminPage.getByRole('button', { name: 'Log in', exact: true }).click();
      await adminPage.getByRole('link', { name: 'Admin' }).first().waitFor();
      for (const tab of ['users', 'conversations', 'usage', 'audit']) {
        await adminPage.goto(`${gw.url}/admin?tab=${tab}`);
        await adminPage.getByRole('heading', { level: 1 }).waitFor();
        await adminPage.waitForLoadState('networkidle');
        await adminPage.locator('main .loading').waitFor({ state: 'detached' });
        for (const v of await axeViolations(adminPage)) found.push(`${width}px admin ${tab}: ${v}`);
      }
      await adminPage.context().close();
    }
    expect(found).toEqual([]);
    // The check sees what it should: an image without a text alternative is reported.
    const page = await openPage(browser, errors);
    await page.goto(`${gw.url}/`);
    await page.locator('main').waitFor(); // the first screen renders as a transition, after the load event
    await page.evaluate(`document.querySelector('main').appendChild(document.createElement('img'))`);
    expect((await axeViolations(page)).join('\n')).toMatch(/^image-alt: /m);
    await page.context().close();
  });
});
