import { readdirSync, readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { startServer, type RunningServer } from '../../cli/server';
import { buildClient, launchChromium, openPage, poll, type ClientPage } from '../helpers/browser';
import { freeUdpPortRange } from '../helpers/ports';

/**
 * Two Chromium contexts with fake camera and microphone join one room through the real server
 * (gateway, actors, mediasoup worker). Each must decode the other's video and receive its audio;
 * when one leaves, the other sees participant_left and the tile disappears. A tile plays what its
 * participant publishes (camera, mic, screen) and shows a mute. When the mediasoup
 * worker dies, the server tells both to reconnect and they rejoin on their own.
 */

interface InboundStats {
  videoFramesDecoded: number;
  audioPackets: number;
}

interface PageHooks {
  state: string;
  events: string[];
  remoteIdentities(): string[];
  getStats(): Promise<{ byIdentity: Record<string, InboundStats>; outboundVideoFramesEncoded: number; outboundAudioPackets: number }>;
}

declare const window: { cascade: PageHooks };

jest.setTimeout(120_000);

let server: RunningServer;
let browser: Browser;
const pages: ClientPage[] = [];

beforeAll(async () => {
  buildClient();
  const rtc = await freeUdpPortRange(1);
  server = await startServer({
    overrides: {
      http: { host: '127.0.0.1', port: 0 },
      auth: { mode: 'open' },
      rtc: { listenIp: '127.0.0.1', announcedIp: '127.0.0.1', port: rtc.min },
      mediasoup: { workers: 1 },
      database: { sqlitePath: ':memory:' },
      log: { level: 'warn' },
    },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const p of pages) await p.context.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
});

/** What a page's hooks say, in one evaluate. */
const snapshot = (p: ClientPage) =>
  p.page.evaluate(async () => ({
    state: window.cascade.state,
    events: [...window.cascade.events],
    remotes: window.cascade.remoteIdentities(),
    stats: await window.cascade.getStats(),
  }));

async function waitForMediaFrom(receiver: ClientPage, receiverName: string, sender: string): Promise<void> {
  await poll(
    `${receiverName} to decode video and receive audio from ${sender}`,
    async () => {
      const s = await snapshot(receiver);
      const from = s.stats.byIdentity[sender];
      const detail = `state ${s.state}, tiles [${s.remotes.join(', ')}], from ${sender}: ${from ? `framesDecoded ${from.videoFramesDecoded}, audio packets ${from.audioPackets}` : 'no consumer yet'}; log tail: ${receiver.log.slice(-3).join(' | ')}`;
      return { done: Boolean(from && from.videoFramesDecoded > 0 && from.audioPackets > 0), detail };
    },
    { timeoutMs: 45000 },
  );
}

async function open(room: string, identity: string, name: string): Promise<ClientPage> {
  const p = await openPage(browser, `${server.url}/?room=${room}&name=${name}&identity=${identity}&autojoin=1`);
  pages.push(p);
  return p;
}

async function waitForJoined(...clients: [string, ClientPage][]): Promise<void> {
  await poll(`${clients.map(([n]) => n).join(' and ')} to join`, async () => {
    const states = await Promise.all(clients.map(async ([name, p]) => [name, (await snapshot(p)).state] as const));
    return { done: states.every(([, s]) => s === 'joined'), detail: states.map(([n, s]) => `${n} ${s}`).join(', ') };
  });
}

/** Pids of this process's children running `name` (the mediasoup worker is spawned by the server in-process). */
function childPids(name: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(name);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('two browsers see and hear each other; a leave removes the tile', async () => {
  const room = `e2e-${Date.now().toString(36)}`;
  const alice = await open(room, 'alice', 'Alice');
  const bob = await open(room, 'bob', 'Bob');

  await waitForJoined(['alice', alice], ['bob', bob]);

  await Promise.all([waitForMediaFrom(alice, 'alice', 'bob'), waitForMediaFrom(bob, 'bob', 'alice')]);

  // Each shows a tile for the other, labelled by identity.
  expect(await alice.page.locator('#grid .tile[data-identity="bob"]').count()).toBe(1);
  expect(await bob.page.locator('#grid .tile[data-identity="alice"]').count()).toBe(1);
  // And each is really sending (encoder running, audio leaving).
  const aStats = (await snapshot(alice)).stats;
  expect(aStats.outboundVideoFramesEncoded).toBeGreaterThan(0);
  expect(aStats.outboundAudioPackets).toBeGreaterThan(0);

  // Bob leaves with the button; Alice gets participant_left and the tile goes away.
  await bob.page.click('#btn-leave');
  await poll('alice to see bob leave', async () => {
    const a = await snapshot(alice);
    const sawLeft = a.events.includes('participant_left');
    const tile = await alice.page.locator('#grid .tile[data-identity="bob"]').count();
    return { done: sawLeft && tile === 0, detail: `participant_left seen: ${sawLeft}, bob tiles: ${tile}, events: ${a.events.join(',')}` };
  });
  expect((await snapshot(bob)).state).toBe('left');
  expect((await snapshot(alice)).state).toBe('joined');
});

/** What a tile shows: its media elements (made on demand), whether each plays, and its mute marks. */
const tileOf = (p: ClientPage, selector: string) =>
  p.page.evaluate((sel) => {
    const tile = (globalThis as any).document.querySelector(sel);
    if (!tile) return undefined;
    const media = [...tile.querySelectorAll('video, audio')].map((m: any) => ({
      slot: `${m.tagName.toLowerCase()}.${m.className}`,
      hidden: Boolean(m.hidden),
      playing: Boolean(m.srcObject) && !m.paused && (m.tagName !== 'VIDEO' || m.videoWidth > 0),
    }));
    return { media, micMuted: tile.hasAttribute('data-microphone-muted') };
  }, selector);

test('tiles: a remote camera and mic play, a mute shows, a screen share appears and goes; our own tile plays no sound', async () => {
  const room = `e2e-tiles-${Date.now().toString(36)}`;
  const erin = await open(room, 'erin', 'Erin');
  const frank = await open(room, 'frank', 'Frank');
  await waitForJoined(['erin', erin], ['frank', frank]);
  await Promise.all([waitForMediaFrom(erin, 'erin', 'frank'), waitForMediaFrom(frank, 'frank', 'erin')]);

  const frankOnErin = '#grid .tile[data-identity="frank"]';
  const slots = async (p: ClientPage, selector: string) => (await tileOf(p, selector))?.media.map((m) => `${m.slot}${m.hidden ? ' hidden' : ''}${m.playing ? ' playing' : ''}`).sort();
  await poll('erin to play frank\'s camera and mic in his tile', async () => {
    const media = await slots(erin, frankOnErin);
    return { done: JSON.stringify(media) === JSON.stringify(['audio.microphone playing', 'video.camera playing']), detail: JSON.stringify(media) };
  });
  // Our own tile previews the camera and never plays our own microphone back.
  await poll('erin\'s own tile to preview her camera', async () => {
    const media = await slots(erin, '#grid .tile.self');
    return { done: JSON.stringify(media) === JSON.stringify(['video.camera playing']), detail: JSON.stringify(media) };
  });

  const micMuted = async (expected: boolean) =>
    poll(`frank's tile on erin to show the mic ${expected ? 'muted' : 'live'}`, async () => {
      const tile = await tileOf(erin, frankOnErin);
      return { done: tile?.micMuted === expected, detail: JSON.stringify(tile) };
    });
  await frank.page.click('#btn-mic');
  await micMuted(true);
  await frank.page.click('#btn-mic');
  await micMuted(false);

  await frank.page.click('#btn-screen');
  await poll('erin to play frank\'s screen share', async () => {
    const media = await slots(erin, frankOnErin);
    return { done: Boolean(media?.includes('video.screen playing')), detail: JSON.stringify(media) };
  });
  await frank.page.click('#btn-screen');
  await poll('frank\'s screen share to go from erin\'s tile', async () => {
    const media = await slots(erin, frankOnErin);
    return { done: Boolean(media?.includes('video.screen hidden')) && Boolean(media?.includes('video.camera playing')), detail: JSON.stringify(media) };
  });
});

test('when the worker dies, both browsers are told to reconnect, rejoin and get media again', async () => {
  const room = `e2e-crash-${Date.now().toString(36)}`;
  const carol = await open(room, 'carol', 'Carol');
  const dave = await open(room, 'dave', 'Dave');
  await waitForJoined(['carol', carol], ['dave', dave]);
  await Promise.all([waitForMediaFrom(carol, 'carol', 'dave'), waitForMediaFrom(dave, 'dave', 'carol')]);

  const workers = childPids('mediasoup-worker');
  expect(workers).toHaveLength(1);
  process.kill(workers[0]!, 'SIGKILL');

  await poll('both pages to get the reconnect event', async () => {
    const [c, d] = await Promise.all([snapshot(carol), snapshot(dave)]);
    return { done: c.events.includes('reconnect') && d.events.includes('reconnect'), detail: `carol: ${c.events.join(',')}; dave: ${d.events.join(',')}` };
  });
  await waitForJoined(['carol', carol], ['dave', dave]);
  // Fresh consumers on the replacement worker: their counters start from zero again.
  await Promise.all([waitForMediaFrom(carol, 'carol', 'dave'), waitForMediaFrom(dave, 'dave', 'carol')]);
  expect(childPids('mediasoup-worker').filter((pid) => pid !== workers[0])).toHaveLength(1);
  expect(await carol.page.locator('#grid .tile[data-identity="dave"]').count()).toBe(1);
});
