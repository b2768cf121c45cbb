/**
 * The built web client served by the real gateway (WEB_DIST), in headless Chromium: pages that need
 * no call. Requires `npm run build -w web` first (skipped with a clear failure otherwise).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUES } from '@parley/protocol/i18n';
import { startTestGateway, type TestGateway } from '@parley/testkit';

const WEB_DIST = path.resolve(import.meta.dirname, '../../web/dist');

describe('web client served by the gateway', () => {
  let gw: TestGateway;
  let browser: Browser;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html')))
      throw new Error('web/dist is missing: run `npm run build -w web` first');
    gw = await startTestGateway({ env: { WEB_DIST } });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  async function open(p: string, width = 1280): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
        consoleErrors.push(`${p}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${p}: ${e.message}`));
    await page.goto(gw.url + p);
    return page;
  }

  it('serves the landing page under the gateway CSP with no console errors and no 401 for a new visitor', async () => {
    const page = await open('/');
    const statuses: number[] = [];
    page.on('response', (r) => statuses.push(r.status()));
    await page.getByRole('link', { name: /Try it now/ }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: /Try it now/ }).waitFor();
    expect(statuses.filter((s) => s === 401)).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('signs up, shows the server’s login error, logs in, saves preferences and lists an empty history', async () => {
    const email = `web-${Date.now()}@example.com`;
    const password = 'quiet orange lantern 42';
    const page = await open('/signup', 375);
    await page.getByLabel('Your name').fill('Web Tester');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();

    await page.getByLabel('Language').selectOption('es');
    await page.getByLabel('Your instructions for Parley').fill('Habla despacio.');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    // Saving Spanish switches the UI to Spanish at once (the preferred language leads the UI),
    // the confirmation included.
    const es = await CATALOGUES.es();
    await page.getByText(es.settings.savedText).waitFor();
    const saved = (await page.evaluate(async () => (await fetch('/api/me/preferences')).json())) as {
      preferences: unknown;
    };
    expect(saved.preferences).toMatchObject({ language: 'es', systemPrompt: 'Habla despacio.' });

    await page.getByRole('link', { name: es.nav.history }).click();
    await page.getByText(es.history.none).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('es');

    await page.getByRole('button', { name: es.nav.logout, exact: true }).click();
    // The page keeps speaking Spanish after logging out; the server's error is shown by its code.
    await page.getByRole('link', { name: es.nav.login }).click();
    await page.getByLabel(es.auth.email).fill(email);
    await page.getByLabel(es.auth.password).fill('not the password');
    await page.getByRole('button', { name: es.auth.loginTitle, exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(es.errors.invalid_credentials);

    await page.getByLabel(es.auth.password).fill(password);
    await page.getByRole('button', { name: es.auth.loginTitle, exact: true }).click();
    await page.getByRole('heading', { name: es.call.titleUser }).waitFor();
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
