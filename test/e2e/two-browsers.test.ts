import { readdirSync, readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { startServer, type RunningServer } from '../../cli/server';
import { buildClient, launchChromium, openPage, poll, type ClientPage } from '../helpers/browser';
import { freeUdpPortRange } from '../helpers/ports';

/**
 * Two Chromium contexts with fake camera and microphone join one room through the real server
 * (gateway, actors, mediasoup worker). Each must decode the other's video and receive its audio;
 * when one leaves, the other sees participant_left and the tile disappears. When the mediasoup
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
