import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium } from '../test/helpers/browser';
import { argNumber, argString, fmt, median, printHeader, table } from './lib/stats';

/**
 * The first-frame reference measured the way `first-frame.ts` measures Cascade, so the two can
 * run side by side at the same moment: a mediasoup-demo app (versatica/mediasoup-demo, served on
 * its own: it is not part of this repository) with a publisher page already in the room, then
 * 1 warm-up + N viewer pages, each in a fresh context with the same Chromium, flags and viewport,
 * timed from navigation start to the first frame the remote peer's <video> presents
 * (requestVideoFrameCallback). The demo's defaults stand: every page sends its microphone and a
 * 1280x720 VP8 simulcast webcam, as Cascade's client does.
 *
 * Usage: npm run build && node dist/bench/first-frame-demo.js [--runs 9] [--url https://127.0.0.1:3443]
 */

interface Marks {
  dcl: number | null;
  presented: number | null;
  width: number | null;
}

declare const window: { __bench: Marks; CLIENT?: { _webcamProducer?: unknown } };

/** Runs in each viewer before the demo's scripts: times relative to navigation start. */
function instrument(): void {
  const g = globalThis as any;
  const marks: Marks = { dcl: null, presented: null, width: null };
  window.__bench = marks;
  g.document.addEventListener('DOMContentLoaded', () => (marks.dcl = g.performance.now()));
  // The demo renders a remote peer as [data-component=Peer]; its <video> starts loading once consumed.
  g.document.addEventListener(
    'loadstart',
    (e: { target: { tagName?: string; closest?(s: string): unknown; requestVideoFrameCallback?(cb: (now: number, meta: { width: number }) => void): void } }) => {
      const v = e.target;
      if (v.tagName !== 'VIDEO' || !v.closest?.("[data-component='Peer']")) return;
      v.requestVideoFrameCallback?.((_now, meta) => {
        if (marks.presented !== null) return;
        marks.presented = g.performance.now();
        marks.width = meta.width;
      });
    },
    true,
  );
}

async function newContext(browser: Browser, url: string): Promise<BrowserContext> {
  // The demo serves HTTPS and WSS with its own (here self-signed) certificate.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['camera', 'microphone'], { origin: new URL(url).origin });
  return context;
}

async function main(): Promise<void> {
  const runs = argNumber('runs', 9);
  const url = argString('url') ?? 'https://127.0.0.1:3443';
  printHeader(`first remote video frame, mediasoup-demo at ${url}: ${runs} page loads (after 1 warm-up) into a room with a publisher`);
  const browser = await launchChromium();
  const room = `ff${Date.now().toString(36)}`;
  const publisher = await newContext(browser, url);
  try {
    const page = await publisher.newPage();
    await page.goto(`${url}/?roomId=${room}&displayName=publisher`);
    await page.waitForFunction(() => Boolean(window.CLIENT?._webcamProducer), undefined, { timeout: 30000, polling: 100 });
    await sleep(1000);
    const results: (Marks & { run: string })[] = [];
    for (let i = 0; i <= runs; i++) {
      const context = await newContext(browser, url);
      try {
        await context.addInitScript(instrument);
        const viewer = await context.newPage();
        await viewer.goto(`${url}/?roomId=${room}&displayName=viewer${i}`);
        await viewer.waitForFunction(() => window.__bench.presented !== null, undefined, { timeout: 30000, polling: 50 });
        results.push({ ...(await viewer.evaluate(() => window.__bench)), run: i === 0 ? 'warm-up' : String(i) });
      } finally {
        await context.close();
      }
      await sleep(500);
    }
    const ms = (x: number | null) => (x === null ? '–' : fmt(x, 0));
    console.log(table(['run', 'DOMContentLoaded ms', 'first remote frame presented ms', 'width'], results.map((m) => [m.run, ms(m.dcl), ms(m.presented), String(m.width ?? '–')])));
    const measured = results.slice(1);
    const presentedMs = median(measured.flatMap((m) => (m.presented === null ? [] : [m.presented])));
    const dclMs = median(measured.flatMap((m) => (m.dcl === null ? [] : [m.dcl])));
    console.log(`SUMMARY ${JSON.stringify({ presentedMs, dclMs, loads: measured.length })}`);
  } finally {
    await publisher.close();
    await browser.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
