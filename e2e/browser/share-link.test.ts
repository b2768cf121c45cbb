import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { HISTORY_TEST_ENV, registerUser, seedConversation, type TestUser } from '@parley/testkit/history';
import { launchChromium, openPage, requireWebBuild, screenshot, submitLogin } from './support';

/**
 * Share links in Chromium (issue 25): the owner creates a link from the conversation page, a
 * signed-out browser opens it (phone and desktop width), the page shows the transcript and nothing
 * of the account, with no way into it; the owner revokes the link in Settings and the same page
 * then answers "not found" (the API 404). No call is needed: a gateway serving the built client
 * over a real database, and a stored conversation.
 */
describe('share links in the browser', () => {
  let gw: TestGateway;
  let browser: Browser;
  let owner: TestUser;
  let conversationId: string;
  const errors: string[] = [];

  beforeAll(async () => {
    requireWebBuild();
    gw = await startTestGateway({ env: HISTORY_TEST_ENV });
    owner = await registerUser(gw, 'rosalind');
    conversationId = await seedConversation(gw.database.db, owner.id, {
      title: 'Planning the spring garden',
      turns: [
        { role: 'user', text: 'Which vegetables can I sow in March?' },
        {
          role: 'agent',
          text: 'Peas, broad beans and radishes go in early; wait with tomatoes until May.',
          metrics: { e2eLatencyMs: 930, llmTtftMs: 280, ttsTtfbMs: 140 },
        },
        { role: 'user', text: 'And when do the radishes come up?' },
      ],
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  async function signIn(page: Page) {
    await submitLogin(page, gw.url, owner.email, owner.password);
    await page.getByRole('link', { name: 'History' }).first().waitFor();
  }

  it('creates a link, opens it signed out, revokes it, and the page then answers not found', async () => {
    const ownerPage = await openPage(browser, errors);
    await signIn(ownerPage);
    await ownerPage.goto(`${gw.url}/history/${conversationId}`);
    await ownerPage.getByRole('heading', { name: 'Planning the spring garden' }).waitFor();
    await ownerPage.getByRole('button', { name: 'Share', exact: true }).click();
    await ownerPage.getByRole('button', { name: 'Create link' }).click();
    const link = await ownerPage.getByLabel('Link (shown once)').inputValue();
    expect(link).toMatch(new RegExp(`^${gw.url}/s/[A-Za-z0-9_-]{43}$`));
    const token = link.split('/s/')[1]!;

    // Signed out: a fresh browser context with no cookie, at phone and at desktop width.
    for (const width of [375, 1280]) {
      const page = await openPage(browser, errors, width);
      const response = await page.goto(link);
      expect(response!.headers()['x-robots-tag']).toBe('noindex, nofollow');
      await page.getByRole('heading', { name: 'Planning the spring garden' }).waitFor();
      const text = await page.locator('body').innerText();
      expect(text).toContain('Which vegetables can I sow in March?');
      expect(text).toContain('Peas, broad beans and radishes go in early');
      expect(text).toContain('read-only');
      // Nothing of the account, and no way into it: no link or control leads to the app.
      expect(text).not.toContain(owner.email);
      expect(text.toLowerCase()).not.toContain('rosalind');
      expect(await page.locator('a[href]').count()).toBe(0);
      expect(await page.getByRole('navigation').count()).toBe(0);
      expect(await page.getByRole('button').count()).toBe(0);
      expect(await page.locator('meta[name="robots"]').getAttribute('content')).toBe('noindex');
      // The visitor has no session: the owner's data stays closed to this browser.
      const me = await page.evaluate(async () => (await fetch('/api/conversations')).status);
      expect(me).toBe(401);
      await screenshot(page, `share-open-${width === 375 ? 'phone' : 'desktop'}`);
      await page.context().close();
    }

    // The owner revokes it in Settings → Shared links.
    await ownerPage.goto(`${gw.url}/settings`);
    const item = ownerPage.locator('#shares li', { hasText: 'Planning the spring garden' });
    await item.getByRole('button', { name: 'Revoke' }).click();
    await ownerPage.getByText('No active share links.').waitFor();

    const gone = await openPage(browser, errors, 375);
    await gone.goto(link);
    await gone.getByRole('heading', { name: 'Shared conversation not found' }).waitFor();
    expect(await gone.locator('body').innerText()).not.toContain('Which vegetables');
    expect(await gone.locator('a[href]').count()).toBe(0);
    await screenshot(gone, 'share-revoked-phone');
    const api = await new TestClient(gw.url, null).get(`/api/shared/${token}`);
    expect(api.status).toBe(404);
    expect(api.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    await gone.context().close();
    await ownerPage.context().close();

    // Chromium logs the probe's two 401s and the revoked page's 404 as failed resources; nothing else went wrong.
    expect(errors.filter((e) => !/status of (401|404)/.test(e))).toEqual([]);
    expect(errors.filter((e) => e.includes('status of 401'))).toHaveLength(2);
  });
});
