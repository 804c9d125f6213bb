import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { projectRoot } from '../cli/server';
import { CLIENT_CONFIG_ELEMENT_ID, inlineConfig, type ClientPageConfig } from '../gateway/http/clientPage';
import { launchChromium } from '../test/helpers/browser';
import { startBenchServer } from './lib/server';
import { timeSessions } from './lib/serverTiming';
import { mainThreadTime, TRACE_CATEGORIES, type MainThreadTime } from './lib/rendererTrace';
import { argFlag, argNumber, argString, fmt, median, printHeader, table } from './lib/stats';

/**
 * Time to first picture: a page opens the client with autojoin while a publisher (another
 * Chromium context, fake camera) is already in the room; measured in the page from navigation
 * start (performance.timeOrigin) to the first remote video frame decoded, as
 * `window.cascade.getStats()` reports it (polled every 5 ms). Also recorded: DOMContentLoaded,
 * `joined`, and the first frame handed to the <video> element (requestVideoFrameCallback).
 * Each run is a fresh browser context (no cache, new getUserMedia), so it includes the page and
 * bundle load, the subscriber's own camera start, signaling, ICE/DTLS and the first keyframe.
 *
 * Polling getStats costs the page CPU while it joins (each call walks every RTP stream): with
 * --poll-ms 0 only the <video> callback is used, which disturbs nothing.
 *
 * With --trace each viewer load is also recorded as a Chrome trace and the viewer renderer's main
 * thread time up to the first frame is broken down (tracing slows the page: its own first-frame
 * numbers are not comparable with an untraced run).
 *
 * With --bundles A=DIR,B=DIR the viewer loads alternate between client bundles built into those
 * directories (`node scripts/build-client.mjs --outdir DIR`; the page's /app.js and /style.css
 * are answered from DIR, and its HTML is DIR/index.html with the server's inline config), so two
 * versions of the client are compared against one server and one publisher at the same moment:
 * on 2 cores the load of the moment moves a median more than most client changes.
 *
 * Usage: npm run build && node dist/bench/first-frame.js [--runs 7] [--warmup 1] [--poll-ms 5] [--trace] [--bundles A=DIR,B=DIR]
 */

const PUBLISHER = 'publisher';
/** The performance.mark the page sets at its first remote frame: where a trace's window ends. */
const FIRST_FRAME_MARK = 'cascade-first-frame';

interface Marks {
  domContentLoaded: number | null;
  joined: number | null;
  firstFrameStats: number | null;
  firstFramePresented: number | null;
  polls: number;
  /** First time each milestone was seen: signaling requests and answers, peer connections, getUserMedia. */
  timeline: Record<string, number>;
}

/**
 * Milestones in the order a joining client normally reaches them (the breakdown table). The
 * client takes the routers' capabilities from its page: no getRouterRtpCapabilities round trip.
 */
const MILESTONES = [
  'DOMContentLoaded',
  'ws open',
  '← join',
  '← createTransport',
  '← consume',
  '→ connectTransport',
  '→ resumeConsumer',
  'pc connected',
  'frame presented',
] as const;

declare const window: {
  __bench: Marks;
  cascade?: { state: string; getStats(): Promise<{ byIdentity: Record<string, { videoFramesDecoded: number }>; outboundVideoFramesEncoded: number }> };
};

/** Runs in the page before its own scripts (addInitScript); records times relative to navigation start. */
function instrument({ publisher, pollMs, frameMark }: { publisher: string; pollMs: number; frameMark: string }): void {
  const marks: Marks = { domContentLoaded: null, joined: null, firstFrameStats: null, firstFramePresented: null, polls: 0, timeline: {} };
  window.__bench = marks;
  const g = globalThis as any;
  const mark = (label: string) => (marks.timeline[label] ??= g.performance.now());
  g.document.addEventListener('DOMContentLoaded', () => {
    marks.domContentLoaded = mark('DOMContentLoaded');
    // What the page load itself is made of (Navigation and Resource Timing).
    const nav = g.performance.getEntriesByType('navigation')[0];
    const script = g.performance.getEntriesByName(new URL('/app.js', g.location.href).href)[0];
    if (nav) {
      marks.timeline['html response start'] = nav.responseStart;
      marks.timeline['html dom interactive'] = nav.domInteractive;
    }
    if (script) {
      marks.timeline['app.js request start'] = script.requestStart;
      marks.timeline['app.js response end'] = script.responseEnd;
    }
  });
  // Signaling: when each request first goes out and its first answer comes back.
  const NativeWebSocket = g.WebSocket;
  const methods = new Map<unknown, string>();
  g.WebSocket = class extends NativeWebSocket {
    constructor(...args: unknown[]) {
      mark('ws created');
      super(...args);
      this.addEventListener('open', () => mark('ws open'));
      this.addEventListener('message', (e: { data: string }) => {
        const m = JSON.parse(e.data);
        if (m.id !== undefined && methods.has(m.id)) mark(`← ${methods.get(m.id)}`);
      });
    }
    send(data: string) {
      const m = JSON.parse(data);
      methods.set(m.id, m.method);
      mark(`→ ${m.method}`);
      super.send(data);
    }
  };
  // Peer connections: the first to reach 'connected' is the receive one (it is created first).
  const NativePC = g.RTCPeerConnection;
  g.RTCPeerConnection = class extends NativePC {
    constructor(...args: unknown[]) {
      super(...args);
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected') mark('pc connected');
      });
    }
  };
  const gum = g.navigator.mediaDevices?.getUserMedia?.bind(g.navigator.mediaDevices);
  if (gum) {
    g.navigator.mediaDevices.getUserMedia = async (c: unknown) => {
      mark('getUserMedia called');
      const stream = await gum(c);
      mark('getUserMedia done');
      return stream;
    };
  }
  g.addEventListener('load', () => mark('load event'));
  const nativeFetch = g.fetch.bind(g);
  g.fetch = async (input: unknown, init?: unknown) => {
    const url = String(input);
    mark(`fetch ${url}`);
    const res = await nativeFetch(input, init);
    mark(`fetched ${url}`);
    return res;
  };
  // A remote tile's <video> starts loading: ask for its first presented frame.
  g.document.addEventListener(
    'loadstart',
    (e: { target: unknown }) => {
      const v = e.target as { tagName?: string; closest?(s: string): unknown; requestVideoFrameCallback?(cb: (now: number, meta: { width: number }) => void): void };
      if (v.tagName !== 'VIDEO' || !v.closest?.(`.tile[data-identity="${publisher}"]`)) return;
      v.requestVideoFrameCallback?.((_now: number, meta: { width: number }) => {
        if (marks.firstFramePresented === null) g.performance.mark(frameMark);
        marks.firstFramePresented ??= mark('frame presented');
        // Which simulcast layer came first (320, 640 or 1280 wide), as a mark of its own.
        mark(`first frame ${meta.width} wide`);
      });
    },
    true,
  );
  const poll = async (): Promise<void> => {
    const c = window.cascade;
    if (c) {
      if (marks.joined === null && c.state === 'joined') marks.joined = g.performance.now();
      if (marks.joined !== null && pollMs > 0) {
        const stats = await c.getStats();
        marks.polls++;
        if ((stats.byIdentity[publisher]?.videoFramesDecoded ?? 0) > 0) {
          marks.firstFrameStats = g.performance.now();
          return;
        }
      }
    }
    // Without stats polling, only the cheap state check runs (for `joined`), until the frame shows.
    if (marks.firstFramePresented === null || pollMs > 0) g.setTimeout(() => void poll(), pollMs > 0 ? pollMs : 5);
  };
  void poll();
}

/** A fresh context (own cache, own fake devices); `pollMs` set = instrumented as a viewer. */
async function newPage(browser: Browser, origin: string, pollMs?: number): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['camera', 'microphone'], { origin });
  if (pollMs !== undefined) await context.addInitScript(instrument, { publisher: PUBLISHER, pollMs, frameMark: FIRST_FRAME_MARK });
  return { context, page: await context.newPage() };
}

async function main(): Promise<void> {
  const runs = argNumber('runs', 7);
  const warmup = argNumber('warmup', 1);
  const pollMs = argNumber('poll-ms', 5);
  const trace = argFlag('trace');
  const bundles = parseBundles(argString('bundles'));
  printHeader(
    `first remote video frame: ${runs} page loads (after ${warmup} warm-up) into a room with a publisher; ` +
      (pollMs > 0 ? `getStats polled every ${pollMs} ms` : 'getStats not polled (rVFC only)'),
  );
  if (!existsSync(path.join(projectRoot(), 'dist', 'public', 'app.js'))) throw new Error('dist/public/app.js is missing: run `npm run build` first');

  const server = await startBenchServer();
  // A page whose HTML the bench answers has no IP address space: Chromium would then refuse it a
  // WebSocket to loopback (Local Network Access). Both bundles are answered that way alike.
  const browser = await launchChromium(bundles.length > 0 ? ['--disable-features=LocalNetworkAccessChecks'] : []);
  console.log(`chromium ${browser.version()}`);
  const contexts: BrowserContext[] = [];
  try {
    const room = `bench-ff-${Date.now().toString(36)}`;
    const pub = await newPage(browser, server.url);
    contexts.push(pub.context);
    await pub.page.goto(`${server.url}/?room=${room}&name=Publisher&identity=${PUBLISHER}&autojoin=1`);
    await pub.page.waitForFunction(
      async () => window.cascade?.state === 'joined' && (await window.cascade.getStats()).outboundVideoFramesEncoded > 0,
      undefined,
      { timeout: 30000, polling: 100 },
    );
    // Let the publisher's encoder and simulcast layers settle before the first viewer arrives.
    await sleep(1000);

    // Server-side handling time of the viewers' requests, to tell server from browser time.
    const sessions = timeSessions();
    const results: (Marks & { run: string; bundle: string | undefined; server: string })[] = [];
    const traced: MainThreadTime[] = [];
    for (let i = 0; i < warmup + runs * Math.max(1, bundles.length); i++) {
      const viewer = await newPage(browser, server.url, pollMs);
      const bundle = bundles.length > 0 ? bundles[i % bundles.length]! : undefined;
      if (bundle) await serveBundle(viewer.page, bundle);
      try {
        if (trace) await browser.startTracing(viewer.page, { categories: TRACE_CATEGORIES });
        await viewer.page.goto(`${server.url}/?room=${room}&name=Viewer${i}&identity=viewer-${i}&autojoin=1`);
        // Both marks (the stats one only when polling); a little slack for the one that comes second.
        await viewer.page.waitForFunction(() => window.__bench.firstFrameStats !== null || window.__bench.firstFramePresented !== null, undefined, {
          timeout: 30000,
          polling: 50,
        });
        await viewer.page
          .waitForFunction(
            (polling) => window.__bench.firstFramePresented !== null && (!polling || window.__bench.firstFrameStats !== null),
            pollMs > 0,
            { timeout: 3000, polling: 50 },
          )
          .catch(() => undefined);
        const marks = await viewer.page.evaluate(() => window.__bench);
        if (trace) {
          const recorded = await browser.stopTracing();
          const time = marks.firstFramePresented === null ? undefined : mainThreadTime(recorded, FIRST_FRAME_MARK, marks.firstFramePresented);
          if (time && i >= warmup) traced.push(time);
        }
        const handled = sessions.byIdentity.get(`viewer-${i}`) ?? {};
        const serverMs = Object.values(handled).reduce((a, b) => a + b, 0);
        const run = `${i < warmup ? `warm-up ${i + 1}` : String(i - warmup + 1)}${bundle ? ` ${bundle.label}` : ''}`;
        results.push({ ...marks, run, bundle: bundle?.label, server: fmt(serverMs, 1) });
      } finally {
        await viewer.context.close();
      }
      await sleep(500);
    }

    const measured = results.slice(warmup);
    const col = (m: Marks, k: 'domContentLoaded' | 'joined' | 'firstFrameStats' | 'firstFramePresented') => (m[k] === null ? '–' : fmt(m[k] as number, 0));
    console.log('');
    console.log(
      table(
        ['run', 'DOMContentLoaded ms', 'joined ms', 'first frame decoded ms', 'first frame presented ms', 'stats polls', 'server ms (caps+join+transports)'],
        results.map((m) => [m.run, col(m, 'domContentLoaded'), col(m, 'joined'), col(m, 'firstFrameStats'), col(m, 'firstFramePresented'), String(m.polls), m.server]),
      ),
    );
    const med = (k: 'domContentLoaded' | 'joined' | 'firstFrameStats' | 'firstFramePresented') =>
      median(measured.map((m) => m[k]).filter((x): x is number => x !== null));
    console.log('');
    console.log('where the time goes: median over the measured runs of each milestone (ms from navigation start) and of');
    console.log('each run\'s own gap since the previous main milestone; other marks below, not in the chain');
    const milestones: readonly string[] = MILESTONES;
    const extra = [...new Set(measured.flatMap((m) => Object.keys(m.timeline)))].filter((k) => !milestones.includes(k));
    const at = (label: string) => median(measured.map((m) => m.timeline[label]).filter((x): x is number => x !== undefined));
    const step = (label: string, i: number) =>
      median(
        measured.flatMap((m) => {
          const here = m.timeline[label];
          const before = i === 0 ? 0 : m.timeline[milestones[i - 1]!];
          return here !== undefined && before !== undefined ? [here - before] : [];
        }),
      );
    console.log(
      table(
        ['milestone', 'at ms', 'step ms'],
        [...milestones.map((label, i) => [label, fmt(at(label), 0), fmt(step(label, i), 0)]), ...extra.map((label) => [label, fmt(at(label), 0), ''])],
      ),
    );
    console.log('');
    console.log(
      table(
        ['median (ms from navigation start)', 'value'],
        [
          ['DOMContentLoaded', fmt(med('domContentLoaded'), 0)],
          ['joined', fmt(med('joined'), 0)],
          ['first remote frame decoded (getStats)', fmt(med('firstFrameStats'), 0)],
          ['first remote frame presented (rVFC)', fmt(med('firstFramePresented'), 0)],
          ['first remote frame presented, from the load event', fmt(median(measured.flatMap((m) => (m.firstFramePresented !== null && m.timeline['load event'] !== undefined ? [m.firstFramePresented - m.timeline['load event']] : []))), 0)],
          ['reference: mediasoup-demo, first frame decoded', '292'],
        ],
      ),
    );
    if (trace) printMainThreadTime(traced);
    if (bundles.length > 0) printBundleComparison(bundles, measured);
    console.log(`SUMMARY ${JSON.stringify({ firstFrameMs: med('firstFrameStats'), presentedMs: med('firstFramePresented'), joinedMs: med('joined'), dclMs: med('domContentLoaded') })}`);
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser.close();
    await server.stop();
  }
}

interface Bundle {
  label: string;
  dir: string;
}

/** `A=DIR,B=DIR` → the client bundles to alternate between (none: the server's own). */
function parseBundles(arg: string | undefined): Bundle[] {
  if (!arg) return [];
  return arg.split(',').map((entry) => {
    const [label, dir] = entry.split('=');
    const complete = dir !== undefined && ['app.js', 'style.css', 'index.html'].every((file) => existsSync(path.join(dir, file)));
    if (!label || !complete) throw new Error(`--bundles: expected LABEL=DIR with DIR/app.js, style.css and index.html, got "${entry}"`);
    return { label, dir: path.resolve(dir) };
  });
}

/** The page's own files from `bundle.dir`; its HTML keeps the config the server inlined. */
async function serveBundle(page: Page, bundle: Bundle): Promise<void> {
  await page.route('**/app.js', (route) => route.fulfill({ path: path.join(bundle.dir, 'app.js'), contentType: 'text/javascript' }));
  await page.route('**/style.css', (route) => route.fulfill({ path: path.join(bundle.dir, 'style.css'), contentType: 'text/css' }));
  await page.route(
    (url) => url.pathname === '/',
    async (route) => {
      const served = await (await route.fetch()).text();
      const config = new RegExp(`<script id="${CLIENT_CONFIG_ELEMENT_ID}" type="application/json">(.*?)</script>`).exec(served)?.[1];
      if (!config) throw new Error('the served page has no inline config');
      const html = inlineConfig(await readFile(path.join(bundle.dir, 'index.html'), 'utf8'), JSON.parse(config) as ClientPageConfig);
      await route.fulfill({ body: html, contentType: 'text/html; charset=utf-8' });
    },
  );
}

/** Per bundle: medians of the loads that used it, and each against the first bundle. */
function printBundleComparison(bundles: Bundle[], measured: (Marks & { bundle: string | undefined })[]): void {
  const of = (label: string) => measured.filter((m) => m.bundle === label);
  const presented = (ms: Marks[]) => median(ms.flatMap((m) => (m.firstFramePresented === null ? [] : [m.firstFramePresented])));
  const afterJoined = (ms: Marks[]) =>
    median(ms.flatMap((m) => (m.firstFramePresented === null || m.joined === null ? [] : [m.firstFramePresented - m.joined])));
  const dcl = (ms: Marks[]) => median(ms.flatMap((m) => (m.domContentLoaded === null ? [] : [m.domContentLoaded])));
  const base = of(bundles[0]!.label);
  console.log('');
  console.log('client bundles compared (page loads alternating, same server and publisher)');
  console.log(
    table(
      ['bundle', 'loads', 'DOMContentLoaded ms', 'first frame presented ms', '÷ first bundle', 'joined → frame ms'],
      bundles.map(({ label }) => {
        const ms = of(label);
        return [label, String(ms.length), fmt(dcl(ms), 0), fmt(presented(ms), 0), fmt(presented(ms) / presented(base), 2), fmt(afterJoined(ms), 0)];
      }),
    ),
  );
}

/** Median over the traced loads: busy time, then the largest self times. */
function printMainThreadTime(traced: MainThreadTime[]): void {
  if (traced.length === 0) return;
  const names = [...new Set(traced.flatMap((t) => [...t.selfMs.keys()]))];
  const rows = names
    .map((name) => [name, median(traced.map((t) => t.selfMs.get(name) ?? 0))] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15);
  console.log('');
  console.log(`viewer renderer main thread, navigation → first frame presented (Chrome trace, median of ${traced.length} loads)`);
  console.log(
    table(
      ['what', 'ms'],
      [
        ['span (traced load, slower than untraced)', fmt(median(traced.map((t) => t.spanMs)), 0)],
        ['busy (inside tasks)', fmt(median(traced.map((t) => t.busyMs)), 0)],
        ...rows.map(([name, ms]) => [`self: ${name}`, fmt(ms, 1)]),
      ],
    ),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
