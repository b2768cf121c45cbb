/**
 * Shared pieces of the browser tests: Debian's Chromium with its fake microphone playing a spoken
 * WAV, page instrumentation (console errors, when the microphone opened, when transcript lines
 * appeared, the level of the remote audio the page plays), screenshots and failure context.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { synthesizeSpeechWav } from '@parley/testkit/speech';
import { startStack, type Stack, type StackOptions } from '@parley/testkit/stack';

export { wordOverlap } from '@parley/testkit/speech';

const repoRoot = path.resolve(import.meta.dirname, '../..');
export const WEB_DIST = path.join(repoRoot, 'web/dist');
export const SCREENSHOT_DIR = path.join(repoRoot, 'test-results/screenshots');

/** Fails early and clearly when the client has not been built (`npm test` builds it first). */
export function requireWebBuild(): void {
  if (!existsSync(path.join(WEB_DIST, 'index.html')))
    throw new Error('web/dist is missing: run `npm run build -w web` first');
}

export interface MicWavOptions {
  /** espeak-ng voice, e.g. "es", "en-us", "en-us+klatt". */
  voice: string;
  /** Silence before the speech: the file starts playing when the page opens the microphone. */
  leadSilenceS: number;
  tailSilenceS?: number;
}

/**
 * A 48 kHz mono 16-bit WAV of `text` spoken by espeak-ng, led and followed by silence, for
 * Chromium's `--use-file-for-fake-audio-capture`, and the length of the speech in it.
 */
export async function micWav(text: string, o: MicWavOptions): Promise<{ path: string; speechMs: number }> {
  const tail = o.tailSilenceS ?? 1;
  const wav = await synthesizeSpeechWav(text, {
    lang: o.voice,
    sampleRate: 48000,
    leadSilenceS: o.leadSilenceS,
    tailSilenceS: tail,
  });
  return { path: wav.path, speechMs: Math.round((wav.pcm.length / wav.sampleRate - o.leadSilenceS - tail) * 1000) };
}

/** Headless Chromium whose only microphone plays `wavPath` once (from when a page opens it), then silence. */
export function launchChromium(wavPath?: string, extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      ...(wavPath ? [`--use-file-for-fake-audio-capture=${wavPath}%noloop`] : []),
      '--autoplay-policy=no-user-gesture-required',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      ...extraArgs,
    ],
  });
}

export interface PageProbe {
  /** When the app's first microphone (a silent stand-in, see page-probe.js) was handed out. */
  silentMicAt: number;
  /** Each real (fake-device) capture: the WAV plays from its start in each. */
  micOpens: Array<{ at: number; label: string }>;
  lines: Array<{ at: number; kind: 'final' | 'interim'; role: string; text: string }>;
  levels: Array<{ at: number; rms: number }>;
  meters: number;
}

const PAGE_PROBE = path.join(import.meta.dirname, 'page-probe.js');

/** What page-probe.js recorded so far in this page. */
export const probe = (page: Page): Promise<PageProbe> => page.evaluate('window.__parley') as Promise<PageProbe>;

/**
 * The caller starts speaking: picks another microphone in the call controls. LiveKit restarts the
 * published track on that fake device, whose capture plays the WAV from its start. Returns when
 * the capture opened (the WAV's time zero) and the device's label.
 */
export async function pickMicrophone(
  page: Page,
  fieldLabel = 'Microphone', // the control's label in the page's UI language
): Promise<{ label: string; openedAt: number }> {
  const select = page.getByLabel(fieldLabel, { exact: true });
  await select.locator('option').nth(1).waitFor({ state: 'attached', timeout: 10_000 });
  const current = await select.inputValue();
  const values = await select
    .locator('option')
    .evaluateAll((els) => els.map((e) => [e.getAttribute('value'), e.textContent]));
  const [value, label] = values.find(([v]) => v && v !== current && v !== 'default') ?? [];
  if (!value || !label) throw new Error(`no other microphone to pick: ${JSON.stringify(values)} (current ${current})`);
  const before = (await probe(page)).micOpens.length;
  await select.selectOption(value);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = (await probe(page)).micOpens.slice(before).find((o) => o.label === label);
    if (open) return { label, openedAt: open.at };
    if (Date.now() > deadline) throw new Error(`the microphone "${label}" did not open within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A page with page-probe.js and every console error / page error collected into `errors`. */
export async function openPage(browser: Browser, errors: string[], width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  await context.addInitScript({ path: PAGE_PROBE });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return page;
}

/** Fills and sends the log-in form; the caller waits for what it expects next (the form may refuse). */
export async function submitLogin(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** The transcript as the page shows it, one line per turn ("You: …", "Parley: …", provisional lines marked). */
export async function transcriptText(page: Page): Promise<string> {
  return (page.evaluate('window.__parleyTranscript()') as Promise<string>).catch(
    (e: Error) => `(page unavailable: ${e.message})`,
  );
}

/** What to print when a step times out: the transcript on screen, the agent worker's last output, page errors. */
export async function failureContext(
  page: Page | undefined,
  stack: Stack | undefined,
  errors: string[],
): Promise<string> {
  const transcript = page ? await transcriptText(page) : '(no page)';
  const agent = stack?.worker?.output.join('').slice(-4000) ?? '(no worker)';
  return `\n--- transcript on the page ---\n${transcript || '(empty)'}\n--- page errors ---\n${errors.join('\n') || '(none)'}\n--- agent worker output (tail) ---\n${agent}`;
}

/**
 * Runs one bounded step; on failure (timeout included) rethrows with the step's name and the
 * failure context, so a red test says where it stopped and what the page and agent showed.
 */
export async function step<T>(
  name: string,
  ctx: () => { page?: Page; stack?: Stack; errors: string[] },
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const c = ctx();
    const e = new Error(`${name}: ${(err as Error).message}${await failureContext(c.page, c.stack, c.errors)}`);
    if (c.page)
      await screenshot(c.page, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`).catch(() => undefined);
    throw e;
  }
}

/**
 * What every browser test starts with: the built client, the whole stack serving it, a WAV of the
 * caller's words for Chromium's fake microphone (made while the stack starts), and Chromium itself.
 */
export async function startBrowserStack(
  stackOptions: StackOptions,
  said: string,
  wav: MicWavOptions,
): Promise<{ stack: Stack; browser: Browser; speechMs: number }> {
  requireWebBuild();
  const [stack, mic] = await Promise.all([
    startStack({ ...stackOptions, gatewayEnv: { ...stackOptions.gatewayEnv, WEB_DIST } }),
    micWav(said, wav),
  ]);
  try {
    return { stack, browser: await launchChromium(mic.path), speechMs: mic.speechMs };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's WCAG 2.x A/AA checks on the page as it is now, one line per violation and element
 * ("rule: help — selector"); empty when clean. axe is injected through the DevTools protocol
 * (page.evaluate), which the page's CSP (script-src 'self') does not govern.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })`,
  )) as { violations: Array<{ id: string; help: string; nodes: Array<{ target: string[] }> }> };
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${v.help} — ${n.target.join(' ')}`));
}
