import type { Browser } from 'playwright-core';
import type { ParticipantSnapshot, RoomInfo } from '../../schemas/actors';
import type { RoomMediaStats } from '../../media';
import { launchChromium, poll, type ClientPage } from '../helpers/browser';
import { Cluster } from '../helpers/cluster';
import { openClient, snapshot, waitForJoined, waitForMedia, WsParticipant } from '../helpers/clusterClients';
import { longestStall, Sampler } from '../helpers/sampler';

/**
 * Real Chromium pages on a 3-node cluster of separate processes. A page is placed by the gateway
 * it loads from (its region), or by the region claim of its token.
 *  1. Two pages on different nodes see and hear each other, through one pipe each way.
 *  2. kill -9 of the node holding one page's media (and owning the room): that page is told to
 *     reconnect, rejoins by itself on a live node and receives media again (how fast: bench/failover.ts); the two
 *     pages on the surviving nodes never stop decoding each other; the room moves to a live owner.
 */

jest.setTimeout(180_000);

let cluster: Cluster;
let browser: Browser;
const pages: ClientPage[] = [];

beforeAll(async () => {
  [cluster, browser] = await Promise.all([Cluster.start({ size: 3 }), launchChromium()]);
});

afterAll(async () => {
  for (const p of pages) await p.context.close().catch(() => undefined);
  await browser?.close();
  await cluster?.stopAll();
});

async function closePages(): Promise<void> {
  for (const p of pages.splice(0)) await p.context.close().catch(() => undefined);
}

test('two pages on different nodes see and hear each other', () =>
  cluster.guard(async () => {
    const [node1, node3] = [cluster.node('node1'), cluster.node('node3')];
    const room = `browsers-${cluster.runId}`;
    const alice = await openClient(browser, cluster, node1, room, 'alice');
    const bob = await openClient(browser, cluster, node3, room, 'bob');
    pages.push(alice, bob);
    await waitForJoined({ alice, bob });
    await Promise.all([waitForMedia(alice, 'alice', 'bob'), waitForMedia(bob, 'bob', 'alice')]);

    // Each one's media is on its own node; each track crossed once, each way.
    const [on1, on3] = await Promise.all([node1, node3].map((n) => cluster.call<ParticipantSnapshot[]>(n, 'participant.listByRoom', { roomId: room })));
    expect([on1?.map((p) => p.identity), on3?.map((p) => p.identity)]).toEqual([['alice'], ['bob']]);
    const [s1, s3] = await Promise.all([node1, node3].map(async (n) => (await cluster.call<RoomMediaStats[]>(n, 'media.roomStats', { roomId: room }))[0] as RoomMediaStats));
    expect(s1?.consumers.filter((c) => c.remoteNodeId === node3.id)).toHaveLength(2);
    expect(s3?.consumers.filter((c) => c.remoteNodeId === node1.id)).toHaveLength(2);
    // Both really send, and the tiles are there.
    const [a, b] = await Promise.all([snapshot(alice.page), snapshot(bob.page)]);
    expect([a.stats.outboundVideoFramesEncoded > 0, a.stats.outboundAudioPackets > 0, b.stats.outboundVideoFramesEncoded > 0]).toEqual([true, true, true]);
    expect([a.remotes, b.remotes]).toEqual([['bob'], ['alice']]);
    await closePages();
  }));

test('kill -9 of a media node: its page rejoins on a live node and gets media again; the others never stop', () =>
  cluster.guard(async () => {
    const [node1, node2, node3] = [cluster.node('node1'), cluster.node('node2'), cluster.node('node3')];
    const room = `browsers-failover-${cluster.runId}`;
    // dora (no browser) joins first through node2, so node2 owns the room too.
    const dora = await WsParticipant.join(node2, cluster.token(room, 'dora', { role: 'viewer' }));
    const alice = await openClient(browser, cluster, node1, room, 'alice');
    // bob loads the page from node1 but his token says region us: his media is on node2.
    const bob = await openClient(browser, cluster, node1, room, 'bob', { region: 'us' });
    const carol = await openClient(browser, cluster, node3, room, 'carol');
    pages.push(alice, bob, carol);
    await waitForJoined({ alice, bob, carol });
    const on2 = await cluster.call<ParticipantSnapshot[]>(node2, 'participant.listByRoom', { roomId: room });
    expect(on2.map((p) => p.identity).sort()).toEqual(['bob', 'dora']);
    expect(await cluster.redis?.get(`cascade:room:${room}:owner`)).toBe(node2.id);
    await Promise.all([
      waitForMedia(bob, 'bob', 'alice'),
      waitForMedia(carol, 'carol', 'alice'),
      waitForMedia(alice, 'alice', 'carol'),
      waitForMedia(alice, 'alice', 'bob'),
    ]);

    // Frames alice and carol decode from each other, sampled through the failure.
    const sampler = new Sampler(async () => {
      const [c, a] = await Promise.all([snapshot(carol.page), snapshot(alice.page)]);
      return { carolFromAlice: c.stats.byIdentity.alice?.videoFramesDecoded ?? 0, aliceFromCarol: a.stats.byIdentity.carol?.videoFramesDecoded ?? 0 };
    }, 250);
    try {
      const killedAt = Date.now();
      // Not awaited yet: kill() also waits for node2's mediasoup workers to exit, which nobody else does.
      const killed = cluster.kill(node2);
      let toldAt = 0;
      await poll('bob to be told to reconnect', async () => {
        const s = await snapshot(bob.page);
        if (s.events.includes('reconnect') && !toldAt) toldAt = Date.now();
        return { done: toldAt > 0, detail: `events ${s.events.slice(-5).join(',')}` };
      }, { timeoutMs: 15000, intervalMs: 100 });
      await waitForMedia(bob, 'bob', 'alice', { timeoutMs: 15000 });
      const mediaAt = Date.now();
      await waitForMedia(bob, 'bob', 'carol', { timeoutMs: 10000 });
      await dora.client.closed;
      await killed;

      // bob is now on a live node (the nearest to region us: node1), alice and carol get him again.
      const on1 = await cluster.call<ParticipantSnapshot[]>(node1, 'participant.listByRoom', { roomId: room });
      expect(on1.map((p) => p.identity).sort()).toEqual(['alice', 'bob']);
      const before = (await snapshot(alice.page)).stats.byIdentity.bob?.videoFramesDecoded ?? 0;
      await waitForMedia(alice, 'alice', 'bob', { after: { videoFramesDecoded: before, audioPackets: 0, videoBytes: 0, audioBytes: 0 } });

      // The room lives on, owned by a live node.
      const owner = await cluster.redis?.get(`cascade:room:${room}:owner`);
      expect([node1.id, node3.id]).toContain(owner);
      const info = await cluster.call<RoomInfo>(node1, 'room.get', { roomId: room });
      expect(info).toMatchObject({ ownerNodeId: owner, participantCount: 3, status: 'active' });

      // At least 5 s (and 15 samples) after the kill, however fast the failover went.
      await sampler.waitPast('the kill', killedAt, 5000, 15);
      await sampler.stop();
      const window = sampler.since(killedAt);
      const stalls = { carolFromAlice: longestStall(window, (s) => s.carolFromAlice), aliceFromCarol: longestStall(window, (s) => s.aliceFromCarol) };
      console.log(
        `browser failover: reconnect ${toldAt - killedAt} ms after the kill, bob decodes alice ${mediaAt - toldAt} ms after that; ` +
          `longest stalls ${JSON.stringify(stalls)} ms over ${window.length} samples, ${(((window.at(-1)?.t ?? 0) - (window[0]?.t ?? 0)) / 1000).toFixed(1)} s`,
      );
      // How fast (the 5 s) is measured by bench/failover.ts, not asserted here: the polls above
      // only bound it. What this test asserts is that media comes back and the others never stop.
      // Locally the others see no gap at all. On a loaded CI machine a publisher's browser may drop a
      // simulcast layer (CPU or bandwidth adaptation) while the failover runs; a subscriber on that
      // layer then waits for mediasoup's stream-inactivity check (1.5 s) and a key frame of the next
      // layer (one 1 s retry): up to ~2.8 s, seen once. A stream that stopped would show the whole
      // 5 s window.
      expect(window.length).toBeGreaterThan(15);
      expect(stalls.carolFromAlice).toBeLessThan(3000);
      expect(stalls.aliceFromCarol).toBeLessThan(3000);
    } finally {
      await sampler.stop().catch(() => undefined);
      await dora.leave();
    }
  }));
