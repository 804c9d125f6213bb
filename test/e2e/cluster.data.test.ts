import type { Browser } from 'playwright-core';
import type { ParticipantSnapshot } from '../../schemas/actors';
import type { RoomDataStats } from '../../media';
import { launchChromium, poll, type ClientPage } from '../helpers/browser';
import { Cluster } from '../helpers/cluster';
import { openClient, WsParticipant } from '../helpers/clusterClients';
import { describeData, sendData, waitForData, waitForDataReady } from '../helpers/dataPages';

/**
 * Data messages across a 3-node cluster of separate processes: two Chromium pages whose media
 * is on different nodes exchange data messages, and a third participant's node (a viewer without
 * a browser, its data consumer on node2) gets them too. Each message leaves its sender's node once
 * for each other node, which delivers it to its own receivers, honouring destinations.
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

test('pages on different nodes exchange data messages; each crosses to each other node once', () =>
  cluster.guard(async () => {
    const [node1, node2, node3] = [cluster.node('node1'), cluster.node('node2'), cluster.node('node3')];
    const room = `data-${cluster.runId}`;
    // dora joins through node2: her data consumer (never connected: no browser) is there.
    const dora = await WsParticipant.join(node2, cluster.token(room, 'dora', { role: 'viewer' }));
    try {
      await dora.client.call('createTransport', { direction: 'recv', sctp: true });
      await dora.client.call('consumeData', {});
      const alice = await openClient(browser, cluster, node1, room, 'alice');
      const bob = await openClient(browser, cluster, node3, room, 'bob');
      pages.push(alice, bob);
      await waitForDataReady({ alice, bob });

      const placed = await Promise.all([node1, node2, node3].map((n) => cluster.call<ParticipantSnapshot[]>(n, 'participant.listByRoom', { roomId: room })));
      expect(placed.map((list) => list.map((p) => p.identity))).toEqual([['alice'], ['dora'], ['bob']]);

      expect(await sendData(alice.page, 'hello everyone', { topic: 'greeting' })).toBe('sent');
      expect(await sendData(alice.page, 'only for bob', { topic: 'secret', to: ['bob'] })).toBe('sent');
      expect(await sendData(bob.page, 'hi alice', { topic: 'reply', to: ['alice'] })).toBe('sent');

      expect(describeData(await waitForData('bob', bob, 2))).toEqual(['alice:greeting:hello everyone', 'alice:secret:only for bob']);
      expect(describeData(await waitForData('alice', alice, 1))).toEqual(['bob:reply:hi alice']);

      // Counters of each node's data routing for the room, once every relayed message has landed.
      const stats = () => Promise.all([node1, node2, node3].map((n) => cluster.call<RoomDataStats | null>(n, 'media.dataStats', { roomId: room })));
      let last: (RoomDataStats | null)[] = [];
      await poll('every node to have handled the three messages', async () => {
        last = await stats();
        const relayed = last.map((s) => s?.relayed ?? 0);
        return { done: relayed[0] === 1 && relayed[1] === 3 && relayed[2] === 2, detail: JSON.stringify(last) };
      });
      const counts = last.map((s) => s && { received: s.received, relayed: s.relayed, delivered: s.delivered, rejected: s.rejected });
      expect(counts).toEqual([
        // node1: alice sent two, got bob's one.
        { received: 2, relayed: 1, delivered: 1, rejected: 0 },
        // node2: all three came once; only the message for everyone was for dora.
        { received: 0, relayed: 3, delivered: 1, rejected: 0 },
        // node3: bob sent one, got alice's two.
        { received: 1, relayed: 2, delivered: 2, rejected: 0 },
      ]);
    } finally {
      await dora.leave();
    }
  }));
