/**
 * Issue 21, browser: sign-in with OpenID Connect providers through the built web client in
 * Chromium, against a real provider (panva's oidc-provider) and its own login and consent pages.
 * The provider runs at http://localhost:<port> and the gateway at http://127.0.0.1:<port>: two
 * different sites, so the provider's redirect back is a cross-site navigation and only a
 * SameSite=Lax (not Strict) session cookie carries the pending flow through it.
 * No LiveKit or agent: these pages need none.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { startTestOidcProvider, type TestOidcProvider } from '@parley/testkit/oidc-provider';
import { launchChromium, requireWebBuild, screenshot, SCREENSHOT_DIR, step, WEB_DIST } from './support';

describe('browser: sign in with an OpenID Connect provider', () => {
  let gw: TestGateway;
  let idp: TestOidcProvider;
  let idp2: TestOidcProvider;
  let browser: Browser;
  let page: Page | undefined;
  const errors: string[] = [];
  const ctx = () => ({ page, errors });

  beforeAll(async () => {
    requireWebBuild();
    [idp, idp2] = await Promise.all([startTestOidcProvider(), startTestOidcProvider()]);
    gw = await startTestGateway({
      env: { WEB_DIST, ...idp.env('LOCAL', 'Local ID'), ...idp2.env('ACME', 'Acme SSO') },
    });
    idp.configure([`${gw.url}/api/auth/oidc/local/callback`]);
    idp2.configure([`${gw.url}/api/auth/oidc/acme/callback`]);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await Promise.all([idp?.stop(), idp2?.stop()]);
  });

  async function open(width: number): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const p = await context.newPage();
    p.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
        errors.push(`${p.url()}: ${m.text()}`);
    });
    p.on('pageerror', (e) => errors.push(`${p.url()}: ${e.message}`));
    return p;
  }

  /** On the provider's own pages: its sign-in form, then (first time only) its consent page. */
  async function atProvider(p: Page, issuer: string, login: string, consent: boolean) {
    await p.waitForURL((u) => u.origin === issuer, { timeout: 10_000 });
    await p.locator('input[name="login"]').fill(login);
    await p.locator('input[name="password"]').fill('any password');
    await p.getByRole('button', { name: 'Sign-in' }).click();
    if (consent) {
      await p.getByRole('button', { name: 'Continue' }).waitFor({ timeout: 10_000 });
      await p.getByRole('button', { name: 'Continue' }).click();
    }
  }

  it('signs up with a provider, signs out and signs in again', async () => {
    const email = `bea-${Date.now()}@example.com`;
    idp.addAccount({ login: 'bea', email, emailVerified: true, name: 'Bea Provider' });
    page = await open(375);
    const p = page;

    await step('login page shows one button per provider', ctx, async () => {
      await p.goto(`${gw.url}/login`);
      await p.getByRole('link', { name: 'Continue with Local ID' }).waitFor();
      await p.getByRole('link', { name: 'Continue with Acme SSO' }).waitFor();
      await screenshot(p, 'oidc-01-login-375');
      await p.setViewportSize({ width: 1280, height: 900 });
      await screenshot(p, 'oidc-02-login-1280');
    });

    await step('sign up through the provider', ctx, async () => {
      await p.goto(`${gw.url}/signup`);
      await p.getByRole('link', { name: 'Continue with Local ID' }).click();
      await atProvider(p, idp.issuer, 'bea', true);
      await p.getByRole('heading', { name: 'Settings' }).waitFor({ timeout: 15_000 });
      expect(new URL(p.url()).pathname).toBe('/settings');
      await p.getByText('Welcome, Bea Provider!').waitFor();
      const security = p.locator('#security');
      await security.getByText('Local ID', { exact: true }).waitFor();
      await expect(security.getByText(email).count()).resolves.toBe(1);
      // The only way into this account cannot be removed.
      expect(await security.getByRole('button', { name: /^Remove Local ID/ }).isDisabled()).toBe(true);
      await security.scrollIntoViewIfNeeded();
      await screenshot(p, 'oidc-03-settings-security-signed-up-1280');
    });

    await step('sign out and sign in again (the provider remembers the user and the consent)', ctx, async () => {
      await p.getByRole('button', { name: 'Log out', exact: true }).click();
      await p.goto(`${gw.url}/login?next=/history`);
      await p.getByRole('link', { name: 'Continue with Local ID' }).click();
      await p.getByRole('heading', { name: 'History' }).waitFor({ timeout: 15_000 });
      expect(new URL(p.url()).pathname).toBe('/history');
      const me = (await p.evaluate(() => fetch('/api/auth/me').then((r) => r.json()))) as { user: unknown };
      expect(me.user).toMatchObject({ email, displayName: 'Bea Provider' });
    });
    expect(errors).toEqual([]);
  });

  it('links a provider to a password account in Settings → Security, then unlinks it', async () => {
    idp2.addAccount({ login: 'carl', email: `carl-at-acme-${Date.now()}@example.com`, emailVerified: true });
    page = await open(1280);
    const p = page;
    await step('sign up with a password', ctx, async () => {
      await p.goto(`${gw.url}/signup`);
      await p.getByLabel('Your name').fill('Carl');
      await p.getByLabel('Email').fill(`carl-${Date.now()}@example.com`);
      await p.getByLabel('Password').fill('quiet orange lantern 42');
      await p.getByRole('button', { name: 'Sign up' }).click();
      await p.getByRole('heading', { name: 'Settings' }).waitFor({ timeout: 10_000 });
      await p.locator('#security').getByText('No provider is linked.').waitFor();
    });

    await step('link Acme SSO', ctx, async () => {
      await p.locator('#security').getByRole('button', { name: 'Link Acme SSO' }).click();
      await atProvider(p, idp2.issuer, 'carl', true);
      await p.getByText('Acme SSO is now linked: you can sign in with it.').waitFor({ timeout: 15_000 });
      expect(new URL(p.url()).searchParams.get('linked')).toBe('acme');
      const remove = p.locator('#security').getByRole('button', { name: /^Remove Acme SSO/ });
      expect(await remove.isEnabled()).toBe(true); // the password remains
      await p.locator('#security').screenshot({ path: path.join(SCREENSHOT_DIR, 'oidc-04-security-linked-1280.png') });
      await p.setViewportSize({ width: 375, height: 900 });
      await p.locator('#security').screenshot({ path: path.join(SCREENSHOT_DIR, 'oidc-05-security-linked-375.png') });
      await p.setViewportSize({ width: 1280, height: 900 });
    });

    await step('unlink it', ctx, async () => {
      await p
        .locator('#security')
        .getByRole('button', { name: /^Remove Acme SSO/ })
        .click();
      await p.locator('#security').getByText('No provider is linked.').waitFor({ timeout: 10_000 });
      const list = await p.evaluate(() => fetch('/api/me/identities').then((r) => r.json()));
      expect(list).toEqual({ identities: [], hasPassword: true });
    });
    expect(errors).toEqual([]);
  });

  it('shows a clear message, not an error page, when the provider refuses', async () => {
    page = await open(1280);
    const p = page;
    await p.goto(`${gw.url}/api/auth/oidc/local/callback?code=stolen&state=forged`);
    await p.getByText('This sign-in link has expired or was already used.').waitFor({ timeout: 10_000 });
    expect(new URL(p.url()).pathname).toBe('/login');
    await screenshot(p, 'oidc-06-login-error-1280');
  });
});
