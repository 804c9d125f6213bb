import type { Browser } from 'playwright-core';
import type { ParticipantSnapshot } from '../../schemas/actors';
import type { RoomMediaStats } from '../../media';
import { launchChromium, poll, type ClientPage } from '../helpers/browser';
import { Cluster, type ClusterNode } from '../helpers/cluster';
import { openClient, snapshot, waitForJoined, waitForMedia } from '../helpers/clusterClients';

/**
 * The same scenario on one node (embedded mode: no transporter, in-memory state) and on a
 * 3-node cluster of separate processes over NATS and Redis: A (node1) publishes audio and video,
 * B (node2) and C (node3, a viewer) receive it, B publishes back, chat crosses nodes. Media is
 * asserted in the browsers (frames decoded, audio packets) and, on the cluster, on the pipes.
 */

jest.setTimeout(180_000);

describe.each([
  ['single', 1],
  ['cluster', 3],
])('%s node(s)', (mode, size) => {
  let cluster: Cluster;
  let browser: Browser;
  const pages: ClientPage[] = [];

  beforeAll(async () => {
    [cluster, browser] = await Promise.all([Cluster.start({ size }), launchChromium()]);
  });

  afterAll(async () => {
    for (const p of pages) await p.context.close().catch(() => undefined);
    await browser?.close();
    await cluster?.stopAll();
  });

  /** node1/node2/node3, or the one node of the single mode. */
  const nodeFor = (i: number): ClusterNode => cluster.nodes[i % cluster.nodes.length] as ClusterNode;

  test('A publishes, B and C on other nodes receive; B publishes back; chat crosses nodes', () =>
    cluster.guard(async () => {
      const room = `scenario-${mode}-${cluster.runId}`;
      const a = await openClient(browser, cluster, nodeFor(0), room, 'alice');
      pages.push(a);
      await waitForJoined({ alice: a });
      const b = await openClient(browser, cluster, nodeFor(1), room, 'bob');
      const c = await openClient(browser, cluster, nodeFor(2), room, 'carol', { role: 'viewer' });
      pages.push(b, c);
      await waitForJoined({ alice: a, bob: b, carol: c });

      if (cluster.clustered) {
        // Each participant's media is on the node whose gateway it connected to (its region).
        const where = await Promise.all(cluster.nodes.map((n) => cluster.call<ParticipantSnapshot[]>(n, 'participant.listByRoom', { roomId: room })));
        expect(where.map((list) => list.map((p) => p.identity))).toEqual([['alice'], ['bob'], ['carol']]);
      }

      await Promise.all([waitForMedia(b, 'bob', 'alice'), waitForMedia(c, 'carol', 'alice'), waitForMedia(a, 'alice', 'bob'), waitForMedia(c, 'carol', 'bob')]);

      // Chat from node1 and from node3 reaches everyone.
      await a.page.fill('#chat-input', 'hello from alice');
      await a.page.press('#chat-input', 'Enter');
      await c.page.fill('#chat-input', 'hello from carol');
      await c.page.press('#chat-input', 'Enter');
      await poll('chat on every page', async () => {
        const chats = await Promise.all([a, b, c].map(async (p) => (await snapshot(p.page)).chat));
        const done = chats.every((lines) => lines.includes('hello from alice') && lines.includes('hello from carol'));
        return { done, detail: chats.map((lines) => `[${lines.join(' / ')}]`).join(' ') };
      });

      if (cluster.clustered) {
        // Each published track crosses to each other node that consumes it, once.
        const stats = await Promise.all(cluster.nodes.map(async (n) => (await cluster.call<RoomMediaStats[]>(n, 'media.roomStats', { roomId: room }))[0]));
        const [s1, s2, s3] = stats as RoomMediaStats[];
        const node = (i: number) => nodeFor(i).id;
        const pipesTo = (s: RoomMediaStats, to: string) => s.consumers.filter((x) => x.remoteNodeId === to).length;
        expect([pipesTo(s1, node(1)), pipesTo(s1, node(2))]).toEqual([2, 2]); // alice's audio+video to node2 and node3
        expect([pipesTo(s2, node(0)), pipesTo(s2, node(2))]).toEqual([2, 2]); // bob's to node1 and node3
        expect(s3.consumers.filter((x) => x.remoteNodeId !== undefined)).toHaveLength(0); // carol publishes nothing
        for (const s of [s1, s2, s3]) {
          for (const mirror of s.producers.filter((p) => p.piped)) expect(mirror.byteCount).toBeGreaterThan(0);
        }
        // Every simulcast layer alice's camera sends crosses: each mirror receives as many streams as the origin.
        const camera = s1.producers.find((p) => p.kind === 'video' && !p.piped);
        await poll('alice\'s simulcast layers on node2 and node3', async () => {
          const [o, m2, m3] = await Promise.all([0, 1, 2].map(async (i) => (await cluster.call<RoomMediaStats[]>(nodeFor(i), 'media.roomStats', { roomId: room }))[0]));
          const layers = [o, m2, m3].map((s) => s?.producers.find((p) => p.producerId === camera?.producerId)?.streams ?? 0);
          return { done: (layers[0] ?? 0) >= 2 && layers.every((n) => n === layers[0]), detail: `origin/node2/node3 streams: ${layers.join('/')}` };
        });
      }
    }));
});
