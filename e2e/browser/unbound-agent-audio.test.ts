/**
 * Browser: a call page whose LiveKit session stays joined but never gets the agent's audio (after a
 * LiveKit node died, an SDK's own reconnection once joined the recreated room with its media never
 * negotiated, and LiveKit does not repair that) joins again by itself once an agent's audio has been
 * published for CALL_MEDIA_BIND_MS without reaching it, and the call goes on. The page signals
 * through a proxy (LIVEKIT_PUBLIC_URL) which, mid-call, stops passing LiveKit's media negotiation
 * to it; the agent's job is then killed, so the replacement agent publishes into that session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { RoomServiceClient } from 'livekit-server-sdk';
import { CALL_MEDIA_BIND_MS } from '@parley/protocol';
import { isAlive } from '@parley/testkit';
import { startSignalProxy, type SignalProxy } from '@parley/testkit/signal-proxy';
import type { Stack } from '@parley/testkit/stack';
import { openPage, probe, screenshot, startBrowserStack, step, transcriptText } from './support';

const SAID = 'Can you hear me again now?';
const REPLY = 'Yes, I can hear you again.';
/** The fake microphone's WAV starts when the rejoin opens the microphone: the agent relinks meanwhile. */
const LEAD_S = 3;
const VOICED_RMS = 0.01;

describe('browser: a call whose session never gets the agent’s audio', () => {
  let proxy: SignalProxy & { target: string | null };
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const ctx = () => ({ page, stack, errors });

  beforeAll(async () => {
    proxy = await startSignalProxy();
    ({ stack, browser } = await startBrowserStack(
      {
        gatewayEnv: { LIVEKIT_PUBLIC_URL: proxy.url },
        deepgram: { transcripts: [SAID], endpointSilenceMs: 700 },
        openai: { ttftMs: 60, reply: () => REPLY },
      },
      SAID,
      { voice: 'en-us', leadSilenceS: LEAD_S },
    ));
    proxy.target = stack.env.LIVEKIT_URL!;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await proxy?.close();
  });

  it('joins again by itself and the caller hears the replacement agent', async () => {
    const lk = stack.livekit;
    const rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    page = await openPage(browser, errors, 1280);
    await page.goto(stack.gatewayUrl + '/guest');
    await step('start a guest call and hear the greeting', ctx, async () => {
      await page.getByRole('button', { name: 'Start call' }).click();
      await page.getByRole('button', { name: 'End call' }).waitFor({ timeout: 15_000 });
      await page.locator('li.turn-agent', { hasText: 'Hi, this is Parley' }).waitFor({ timeout: 30_000 });
      await page
        .getByRole('status')
        .filter({ hasText: /^Listening$/ })
        .waitFor({ timeout: 10_000 });
    });
    expect((await probe(page)).levels.some((l) => l.rms > VOICED_RMS)).toBe(true);
    // Media connected both ways: no rejoin however long the call goes on (CALL_MEDIA_BIND_MS and more).
    await page.waitForTimeout(CALL_MEDIA_BIND_MS + 2000);
    expect(proxy.connections).toBe(1);
    const [room] = await rooms.listRooms();
    const before = await rooms.listParticipants(room!.name);
    const [agent] = before.filter((p) => p.identity.startsWith('agent-'));
    const oldSession = before.find((p) => !p.identity.startsWith('agent-'))!.sid;
    const pid = Number(agent!.attributes['parley.job_pid']);
    expect(isAlive(pid)).toBe(true);

    // The page's signalling stops getting media negotiation; the agent's job dies; its replacement
    // publishes into the page's session.
    expect(proxy.breakNegotiation()).toBe(1);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    const rejoinedAt = await step('the page joins again', ctx, async () => {
      const deadline = Date.now() + 60_000;
      while (proxy.connections < 2) {
        if (Date.now() > deadline)
          throw new Error(`no second signalling connection (${JSON.stringify(proxy.dropped)})`);
        await page.waitForTimeout(100);
      }
      return Date.now();
    });
    const withheld = Object.values(proxy.dropped).reduce((a, b) => a + b, 0);
    expect(withheld, JSON.stringify(proxy.dropped)).toBeGreaterThan(0);
    // Not before the replacement's audio had been published CALL_MEDIA_BIND_MS.
    expect(rejoinedAt - killedAt).toBeGreaterThanOrEqual(CALL_MEDIA_BIND_MS);

    await step('the caller is heard and answered in the new session', ctx, async () => {
      await page.locator('li.turn-user', { hasText: SAID }).waitFor({ timeout: 30_000 });
      await page.locator('li.turn-agent', { hasText: REPLY }).waitFor({ timeout: 20_000 });
    });
    // The reply's audio reaches the page (it never did in the old session).
    await page.waitForTimeout(1500);
    const heard = (await probe(page)).levels.filter((l) => l.at > rejoinedAt && l.rms > VOICED_RMS);
    expect(heard.length).toBeGreaterThan(5);
    const callers = (await rooms.listParticipants(room!.name)).filter((p) => !p.identity.startsWith('agent-'));
    expect(callers).toHaveLength(1); // the new join replaced the half set-up session
    expect(await page.getByRole('button', { name: 'End call' }).isVisible()).toBe(true);
    expect(await page.getByRole('alert').count()).toBe(0);
    console.info(
      `[unbound-agent-audio, browser] withheld ${JSON.stringify(proxy.dropped)}; joined again ${rejoinedAt - killedAt} ms after the kill`,
    );
    await screenshot(page, 'unbound-audio-01-call-goes-on-desktop');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'unbound-audio-02-call-goes-on-phone');
    expect(await transcriptText(page)).toContain(`Parley: ${REPLY}`);
    // LiveKit closes the replaced session's data channels, which livekit-client logs as errors of
    // that session (named by its participant sid); nothing else went wrong on the page.
    expect(errors.filter((e) => !e.includes(`participantID: ${oldSession}`))).toEqual([]);
  }, 150_000);
});
