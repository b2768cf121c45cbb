/**
 * Issue 22, browser: a user reads their own recent security activity in Settings (sign-ins, a
 * failed attempt, an export, what an administrator changed), each with its time and a coarse
 * network; an admin reads one transcript through the console's break-glass confirmation (a reason
 * is required; the read is audited and the account holder then sees it). axe finds no WCAG A/AA
 * violation on either page. The built web client in Chromium against the real gateway and
 * Postgres; no LiveKit or agent: these pages need none (the transcript is ingested as the agent does).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CATALOGUES } from '@parley/protocol/i18n';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { registerUser, STRONG_PASSWORD } from '@parley/testkit/accounts';
import { ingest, utterance } from '@parley/testkit/calls';
import {
  axeViolations,
  launchChromium,
  openPage,
  requireWebBuild,
  SCREENSHOT_DIR,
  step,
  submitLogin,
  WEB_DIST,
} from './support';

describe('browser: own security activity in Settings', () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page | undefined;
  const errors: string[] = [];
  const ctx = () => ({ page, errors });

  beforeAll(async () => {
    requireWebBuild();
    gw = await startTestGateway({ env: { WEB_DIST } });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  async function signIn(p: Page, email: string, password: string) {
    await submitLogin(p, gw.url, email, password);
    await p.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 10_000 });
  }

  /** The section at both widths, phone first (a full Settings page is unreadable in a phone shot). */
  async function shots(p: Page, name: string, selector = '#activity') {
    for (const width of [375, 1280]) {
      await p.setViewportSize({ width, height: 900 });
      await p.locator(selector).screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-${width}.png`) });
      const scrollWidth = await p.evaluate('document.documentElement.scrollWidth');
      expect(scrollWidth, `horizontal overflow at ${width} px`).toBeLessThanOrEqual(width);
    }
  }

  it('lists the account’s own sign-ins, failure, changes and an admin’s change; never another account’s', async () => {
    const en = await CATALOGUES.en();
    const api = new TestClient(gw.url);
    const mine = await registerUser(api);
    const other = await registerUser(new TestClient(gw.url));
    const admin = new TestClient(gw.url);
    const root = await registerUser(admin);
    await gw.ctx.repos.users.setRole(root.id, 'admin');
    expect(
      (await new TestClient(gw.url).post('/api/auth/login', { email: mine.email, password: 'Wrong-pass-1' })).status,
    ).toBe(401);
    expect(
      (await new TestClient(gw.url).post('/api/auth/login', { email: other.email, password: 'Wrong-pass-2' })).status,
    ).toBe(401);
    expect((await api.get('/api/me/export')).status).toBe(200);
    expect((await admin.patch(`/api/admin/users/${mine.id}`, { maxCallSeconds: 900 })).status).toBe(200);

    page = await openPage(browser, errors, 375);
    await step('sign in and open Settings', ctx, async () => {
      await signIn(page!, mine.email, STRONG_PASSWORD);
      await page!.goto(`${gw.url}/settings#activity`);
      await page!.getByRole('heading', { name: en.activity.title }).waitFor({ timeout: 10_000 });
      await page!.locator('#activity li').first().waitFor({ timeout: 10_000 });
    });

    const items = page.locator('#activity li');
    const rows: { type: string | null; text: string }[] = [];
    for (const li of await items.all())
      rows.push({ type: await li.getAttribute('data-type'), text: await li.innerText() });
    // Newest first: this browser's sign-in (and its new-device notice), the admin's change, the export, …
    expect(rows.map((r) => r.type)).toEqual([
      'new_device_notice',
      'login',
      'admin_limits_change',
      'data_export',
      'login_failed',
      'email_verification_sent',
      'register',
    ]);
    const byType = Object.fromEntries(rows.map((r) => [r.type, r.text]));
    expect(byType.login).toContain(en.activity.types.login);
    expect(byType.login).toMatch(/Chrom(e|ium) on Linux/);
    expect(byType.login).toContain('network 127.0.0.x');
    expect(byType.login_failed).toContain(en.activity.types.login_failed);
    expect(byType.admin_limits_change).toContain(en.activity.types.admin_limits_change);
    expect(byType.admin_limits_change).toContain(en.activity.byAdmin);
    expect(byType.data_export).toContain(en.activity.types.data_export);
    const text = await page.locator('#activity').innerText();
    for (const never of [other.email, root.email, mine.email, STRONG_PASSWORD, 'Wrong-pass'])
      expect(text).not.toContain(never);

    expect(await axeViolations(page)).toEqual([]);
    await shots(page, 'settings-activity');
    expect(errors).toEqual([]);
  });

  it('lets an admin read a transcript only after confirming with a reason; the read is audited and the owner sees it', async () => {
    const en = await CATALOGUES.en();
    const SAID = 'please remind me to call the dentist on friday';
    const REASON = 'Support ticket 4711: wrong reminder reported';
    const owner = new TestClient(gw.url);
    const caroline = await registerUser(owner);
    const admin = new TestClient(gw.url);
    const root = await registerUser(admin);
    await gw.ctx.repos.users.setRole(root.id, 'admin');
    const { conversationId } = (await owner.post('/api/calls', {})).body;
    const now = Date.now();
    await ingest(gw.url, conversationId, [
      { type: 'call_started', at: new Date(now - 20_000).toISOString() },
      { type: 'utterance', utterance: utterance(0, { text: SAID }) },
      { type: 'utterance', utterance: utterance(1, { text: 'I will remind you on Friday.' }) },
      { type: 'call_ended', at: new Date(now).toISOString(), reason: 'caller_left' },
    ]);

    errors.length = 0;
    page = await openPage(browser, errors, 1280);
    await step('the admin opens the account’s conversations', ctx, async () => {
      await signIn(page!, root.email, STRONG_PASSWORD);
      await page!.goto(
        `${gw.url}/admin?tab=conversations&user=${caroline.id}&email=${encodeURIComponent(caroline.email)}`,
      );
      await page!.getByRole('heading', { name: en.admin.conversations }).waitFor({ timeout: 10_000 });
      await page!.locator('tbody tr').first().waitFor({ timeout: 10_000 });
    });
    const section = page.locator('section.card', { has: page.getByRole('heading', { name: en.admin.conversations }) });
    expect(await section.innerText()).not.toContain(SAID);

    await step('break glass asks for a reason before anything is read', ctx, async () => {
      await section.getByRole('button', { name: /^Break glass: read the transcript/ }).click();
      await section.getByRole('heading', { name: en.admin.breakGlassTitle }).waitFor({ timeout: 5000 });
    });
    const confirm = section.getByRole('button', { name: en.admin.breakGlassConfirm });
    expect(await confirm.isDisabled()).toBe(true);
    await section.getByLabel(en.admin.breakGlassReason).fill('because');
    expect(await confirm.isDisabled()).toBe(true);
    expect(await gw.database.db('audit_events').where({ type: 'admin_transcript_read' })).toHaveLength(0);
    await section.getByLabel(en.admin.breakGlassReason).fill(REASON);
    expect(await axeViolations(page)).toEqual([]);
    await shots(page, 'admin-break-glass-confirm', 'section.card:has(.admin-break-glass)');

    await step('confirming records the read and shows the transcript', ctx, async () => {
      await confirm.click();
      await section.locator('.admin-transcript li').first().waitFor({ timeout: 10_000 });
    });
    const turns = await section.locator('.admin-transcript li').allInnerTexts();
    expect(turns).toEqual([`${en.admin.caller}: ${SAID}`, `${en.transcript.agent}: I will remind you on Friday.`]);
    const rows = await gw.database.db('audit_events').where({ type: 'admin_transcript_read' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      user_id: root.id,
      target_user_id: caroline.id,
      details: { conversationId, reason: REASON },
    });
    expect(JSON.stringify(rows)).not.toContain(SAID);
    expect(await axeViolations(page)).toEqual([]);
    await shots(page, 'admin-break-glass-read', 'section.card:has(.admin-break-glass)');

    // The account holder sees that an administrator read a transcript.
    const ownerPage = await openPage(browser, errors, 375);
    await signIn(ownerPage, caroline.email, STRONG_PASSWORD);
    await ownerPage.goto(`${gw.url}/settings#activity`);
    await ownerPage.locator('#activity li').first().waitFor({ timeout: 10_000 });
    const read = ownerPage.locator('#activity li[data-type="admin_transcript_read"]');
    expect(await read.innerText()).toContain(en.activity.types.admin_transcript_read);
    expect(await read.innerText()).toContain(en.activity.byAdmin);
    expect(await ownerPage.locator('#activity').innerText()).not.toContain(root.email);
    expect(errors).toEqual([]);
  });
});
