/**
 * Issue 20, browser: the whole account-recovery and second-factor story through the built web
 * client in Chromium, the real gateway, real Postgres and Redis and a real SMTP server (every
 * link is taken from a received message). No LiveKit or agent: these pages need none.
 * The pages are opened at http://localhost:<port>: WebAuthn needs a domain as relying-party id.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { TestSmtpServer, type ReceivedMail } from '@parley/testkit/smtp';
import { launchChromium, requireWebBuild, screenshot, SCREENSHOT_DIR, step, WEB_DIST } from './support';

/** A current authenticator code, computed as an app would (otplib, the gateway's own library). */
const totp = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });

describe('browser: accounts people can trust and recover', () => {
  let gw: TestGateway;
  let smtp: TestSmtpServer;
  let browser: Browser;
  let origin: string;
  let page: Page | undefined;
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  const ctx = () => ({ page, errors });

  beforeAll(async () => {
    requireWebBuild();
    smtp = await TestSmtpServer.start();
    gw = await startTestGateway({ env: { WEB_DIST, SMTP_URL: smtp.url } });
    origin = `http://localhost:${new URL(gw.url).port}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await smtp?.close();
  });

  /** A browser of its own (a device): separate cookies. */
  async function device(width = 1280): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    contexts.push(context);
    const p = await context.newPage();
    p.on('console', (m) => {
      // A 401 from /api/auth/me after the session ended is the page learning it, not a fault.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
        errors.push(`${p.url()}: ${m.text()}`);
    });
    p.on('pageerror', (e) => errors.push(`${p.url()}: ${e.message}`));
    return p;
  }

  /**
   * Both widths of the page as it is now, phone first, then desktop; of one section when `selector`
   * is given (a Settings section is unreadable in a full-page phone shot).
   */
  async function shots(p: Page, name: string, selector?: string) {
    for (const width of [375, 1280]) {
      await p.setViewportSize({ width, height: 900 });
      if (selector)
        await p.locator(selector).screenshot({ path: path.join(SCREENSHOT_DIR, `account-${name}-${width}.png`) });
      else await screenshot(p, `account-${name}-${width}`);
    }
  }

  /** The link of the next message to `to` whose subject matches, rewritten to nothing: it is used as sent. */
  const linkOf = (m: ReceivedMail) => {
    const link = m.links.find((l) => l.includes('#token='));
    if (!link) throw new Error(`no link in "${m.subject}"`);
    return link;
  };

  const me = (p: Page) => p.evaluate(() => fetch('/api/auth/me').then((r) => r.status));

  it('register → verify → TOTP → reset → backup code → passkey → sessions', async () => {
    const email = `dana-${Date.now()}@example.com`;
    let password = 'violet harbour kettle 31';
    const p = (page = await device());
    let secret = '';
    let backupCodes: string[] = [];
    let enableCode = '';

    await step('register', ctx, async () => {
      await p.goto(`${origin}/signup`);
      await p.getByLabel('Your name').fill('Dana');
      await p.getByLabel('Email').fill(email);
      await p.getByLabel('Password').fill(password);
      await p.getByRole('button', { name: 'Sign up' }).click();
      await p.getByRole('heading', { name: 'Settings' }).waitFor({ timeout: 10_000 });
      // Not verified yet: two-step sign-in waits for the address.
      await p.locator('#two-factor').getByText(`Confirm your email address (${email})`).waitFor();
    });

    await step('verify the address through the emailed link', ctx, async () => {
      const mail = await smtp.waitFor(email, (m) => m.subject === 'Confirm your email address for Parley');
      const link = linkOf(mail);
      expect(link.startsWith(`${origin}/verify-email#token=`)).toBe(true);
      await p.goto(link);
      await p.getByText('Your email address is confirmed.').waitFor({ timeout: 10_000 });
      await shots(p, 'verify-email');
      // The link works once: to another reader (signed out) it is simply no longer valid.
      const stranger = await device(375);
      await stranger.goto(link);
      await stranger.getByText('This link is not valid any more.').waitFor({ timeout: 10_000 });
      await shots(stranger, 'verify-email-used');
    });

    await step('turn on two-step sign-in with an authenticator code', ctx, async () => {
      await p.goto(`${origin}/settings`);
      const section = p.locator('#two-factor');
      await section.getByRole('button', { name: 'Set up two-step sign-in' }).click();
      await section.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
      secret = (await section.locator('.totp-secret').textContent())!.trim();
      expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
      await section.scrollIntoViewIfNeeded();
      await shots(p, 'two-factor-setup', '#two-factor');
      enableCode = await totp(secret);
      await section.getByLabel('Authenticator code').fill(enableCode);
      await section.getByRole('button', { name: 'Turn on' }).click();
      const box = section.getByRole('region', { name: 'Your backup codes' });
      await box.waitFor({ timeout: 10_000 });
      backupCodes = (await box.locator('li code').allTextContents()).map((c) => c.trim());
      expect(backupCodes).toHaveLength(10);
      await section.getByText('Backup codes left: 10.').waitFor();
      await box.scrollIntoViewIfNeeded();
      await shots(p, 'two-factor-backup-codes', '#two-factor');
      await box.getByRole('button', { name: 'I have saved them' }).click();
      await shots(p, 'two-factor-on', '#two-factor');
    });

    await step('log out, log in with password and a code', ctx, async () => {
      await p.getByRole('button', { name: 'Log out', exact: true }).click();
      await p.goto(`${origin}/login?next=/history`);
      await p.getByLabel('Email').fill(email);
      await p.getByLabel('Password').fill(password);
      await p.getByRole('button', { name: 'Log in' }).click();
      await p.getByRole('heading', { name: 'Two-step sign-in' }).waitFor({ timeout: 10_000 });
      // Password alone is not a session.
      expect(await me(p)).toBe(401);
      // The code that turned it on is refused as a replay; the next step's code is accepted.
      await p.getByLabel('Authenticator code').fill(enableCode);
      await p.getByRole('button', { name: 'Verify' }).click();
      await p.getByText('That code is not valid.').waitFor({ timeout: 10_000 });
      await p.getByLabel('Authenticator code').fill(await totp(secret, 1));
      await p.getByRole('button', { name: 'Verify' }).click();
      await p.getByRole('heading', { name: 'History' }).waitFor({ timeout: 10_000 });
      expect(await me(p)).toBe(200);
    });

    await step('reset the password on another device through the emailed link', ctx, async () => {
      const other = await device(375);
      await other.goto(`${origin}/login`);
      await other.getByRole('link', { name: 'Forgot your password?' }).click();
      await other.getByRole('heading', { name: 'Reset your password' }).waitFor();
      await shots(other, 'forgot-password');
      await other.getByLabel('Email').fill(email);
      await other.getByRole('button', { name: 'Send reset link' }).click();
      await other.getByText(`If an account uses ${email}`).waitFor({ timeout: 10_000 });
      await shots(other, 'forgot-password-sent');
      const mail = await smtp.waitFor(email, (m) => m.subject === 'Reset your Parley password');
      await other.goto(linkOf(mail));
      password = 'new silver compass 58';
      await other.getByLabel('New password').fill(password);
      await other.getByRole('button', { name: 'Set new password' }).click();
      // Two-step sign-in is on: the same link now also needs a code.
      await other.getByText(/two-step sign-in on/).waitFor({ timeout: 10_000 });
      await shots(other, 'reset-password-code');
      // Both authenticator steps in the window are used up (turning on, signing in): a backup code.
      await other.getByRole('button', { name: 'Use a backup code instead' }).click();
      await other.getByLabel('Backup code').fill(backupCodes.shift()!);
      await other.getByRole('button', { name: 'Set new password' }).click();
      await other.getByText('Your password was changed').waitFor({ timeout: 10_000 });
      await shots(other, 'reset-password-done');
    });

    await step('every session ended, the first device too', ctx, async () => {
      expect(await me(p)).toBe(401);
      await p.goto(`${origin}/settings`);
      await p.waitForURL((u) => u.pathname === '/login', { timeout: 10_000 });
    });

    await step('log in with the new password and a backup code', ctx, async () => {
      await p.getByLabel('Email').fill(email);
      await p.getByLabel('Password').fill(password);
      await p.getByRole('button', { name: 'Log in' }).click();
      await p.getByRole('button', { name: 'Use a backup code instead' }).click();
      await p.getByLabel('Backup code').fill(backupCodes.shift()!);
      await p.getByRole('button', { name: 'Verify' }).click();
      await p.waitForURL((u) => u.pathname === '/settings', { timeout: 10_000 });
      await p.locator('#two-factor').getByText('Backup codes left: 8.').waitFor({ timeout: 10_000 });
    });

    await step(
      'add a passkey (Chromium virtual authenticator: ctap2, internal, resident key, user verified)',
      ctx,
      async () => {
        const cdp = await p.context().newCDPSession(p);
        await cdp.send('WebAuthn.enable');
        await cdp.send('WebAuthn.addVirtualAuthenticator', {
          options: {
            protocol: 'ctap2',
            transport: 'internal',
            hasResidentKey: true,
            hasUserVerification: true,
            isUserVerified: true,
            automaticPresenceSimulation: true,
          },
        });
        const section = p.locator('#passkeys');
        await section.getByText('No passkey yet.').waitFor();
        await section.getByRole('button', { name: 'Add a passkey' }).click();
        await section.getByText('Passkey added.').waitFor({ timeout: 10_000 });
        await section.getByRole('button', { name: /^Remove passkey Chrom\w* on Linux$/ }).waitFor();
        expect(await section.textContent()).toContain('never used');
        await section.scrollIntoViewIfNeeded();
        await shots(p, 'passkeys', '#passkeys');
      },
    );

    await step('log out, sign in with the passkey alone (no email, no password, no code)', ctx, async () => {
      await p.getByRole('button', { name: 'Log out', exact: true }).click();
      await p.goto(`${origin}/login?next=/history`);
      await p.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
      await shots(p, 'login-passkey');
      const sent = p.waitForRequest((r) => r.url().endsWith('/api/auth/passkey') && r.method() === 'POST');
      await p.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await p.getByRole('heading', { name: 'History' }).waitFor({ timeout: 10_000 });
      expect(await me(p)).toBe(200);
      // The same signed answer again: its challenge was used, so it is refused.
      const replay = await p.evaluate(
        (body) =>
          fetch('/api/auth/passkey', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }).then(
            async (r) => ({ status: r.status, body: await r.json() }),
          ),
        (await sent).postData()!,
      );
      expect(replay).toMatchObject({ status: 401, body: { error: { code: 'passkey_failed' } } });
      await p.goto(`${origin}/settings`);
      await p
        .locator('#passkeys')
        .getByText(/last used/)
        .waitFor({ timeout: 10_000 });
    });

    await step('sessions: this device and another; log out everywhere else', ctx, async () => {
      // A second signed-in device (password + code) to see in the list.
      const phone = await device(375);
      await phone.goto(`${origin}/login?next=/history`);
      await phone.getByLabel('Email').fill(email);
      await phone.getByLabel('Password').fill(password);
      await phone.getByRole('button', { name: 'Log in' }).click();
      await phone.getByRole('button', { name: 'Use a backup code instead' }).click();
      await phone.getByLabel('Backup code').fill(backupCodes.shift()!);
      await phone.getByRole('button', { name: 'Verify' }).click();
      await phone.getByRole('heading', { name: 'History' }).waitFor({ timeout: 10_000 });

      await p.reload();
      const section = p.locator('#sessions');
      const items = section.getByRole('listitem');
      await expect.poll(() => items.count(), { timeout: 10_000 }).toBe(2);
      await section.getByText('This device').waitFor();
      expect(await items.first().textContent()).toContain('This device');
      expect(await section.textContent()).toMatch(/Chrom\w* on Linux/);
      expect(await section.textContent()).toContain('network 127.0.0.x');
      await section.scrollIntoViewIfNeeded();
      await shots(p, 'sessions', '#sessions');
      await section.getByRole('button', { name: 'Log out everywhere else' }).click();
      await section.getByText('Every other session was signed out.').waitFor({ timeout: 10_000 });
      await expect.poll(() => items.count()).toBe(1);
      expect(await me(phone)).toBe(401);
      expect(await me(p)).toBe(200);
      await shots(p, 'sessions-after', '#sessions');
    });
    expect(errors).toEqual([]);
  });
});
