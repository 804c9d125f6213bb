import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Real Chromium for end-to-end tests: Debian's /usr/bin/chromium driven by playwright-core (which
 * downloads nothing), fake camera and microphone, and a poll helper that says what it was still
 * waiting for instead of sleeping.
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  // Fake camera/microphone, and auto-accept the permission prompt.
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Needed when loopback is the only interface (namespaces); harmless otherwise.
  '--allow-loopback-in-peer-connection',
  // Let <audio> play without a click, so audio is really rendered.
  '--autoplay-policy=no-user-gesture-required',
  // Offline machine: no phoning home.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Bundles gateway/client into dist/public (esbuild, well under a second). */
export function buildClient(): void {
  const root = path.resolve(__dirname, '..', '..');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-client.mjs')], { cwd: root, stdio: 'pipe' });
}

export interface ClientPage {
  context: BrowserContext;
  page: Page;
  /** Console lines and page errors, for failure messages. */
  log: string[];
}

/** A fresh browser context (own cookies, own media devices) on `url`. */
export async function openPage(browser: Browser, url: string): Promise<ClientPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const origin = new URL(url).origin;
  await context.grantPermissions(['camera', 'microphone'], { origin });
  const page = await context.newPage();
  const log: string[] = [];
  page.on('console', (msg) => log.push(`[${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (err) => log.push(`[pageerror] ${err.message}`));
  await page.goto(url);
  return { context, page, log };
}

export interface PollStep {
  done: boolean;
  /** What is still missing (or what was seen), reported when the poll times out. */
  detail: string;
}

/**
 * Calls `check` until it reports done. On timeout, fails with the last detail, so the message
 * says e.g. "bob: framesDecoded 0, audio packets 312" rather than just "timeout".
 */
export async function poll(what: string, check: () => Promise<PollStep>, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30000;
  const intervalMs = options.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let last = 'not checked yet';
  for (;;) {
    try {
      const step = await check();
      if (step.done) return;
      last = step.detail;
    } catch (err) {
      last = `check threw: ${(err as Error).message}`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; still waiting: ${last}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
