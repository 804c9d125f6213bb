import type { RoomMediaStats } from '../../media';
import { poll } from '../helpers/browser';
import { Cluster } from '../helpers/cluster';
import { ingest, WsParticipant, type Ingest } from '../helpers/clusterClients';

/**
 * Cascade fan-out on a 3-node cluster of separate processes (private NATS and Redis): a publisher
 * on node1 (ffmpeg RTP into plain producers), 20 subscribers on node2. Whatever the number of
 * subscribers, each track crosses from node1 to node2 once: one pipe consumer per track, checked
 * on the mediasoup objects of both nodes, and the bytes through the pipe match the producer's.
 * When the last subscriber leaves, the pipe consumers and the mirrors close.
 */

jest.setTimeout(120_000);

const SUBSCRIBERS = 20;
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ size: 3 });
});

afterAll(async () => {
  await cluster?.stopAll();
});

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

test(`${SUBSCRIBERS} subscribers on node2: one pipe consumer per track from node1, pipe bytes = producer bytes`, () =>
  cluster.guard(async () => {
    const [node1, node2] = [cluster.node('node1'), cluster.node('node2')];
    const room = `fanout-${cluster.runId}`;
    const alice = await WsParticipant.join(node1, cluster.token(room, 'alice'));
    expect(alice.nodeId).toBe(node1.id);
    let feed: Ingest | undefined;
    const subscribers: WsParticipant[] = [];
    try {
      feed = await ingest(cluster, node1, alice);
      const tracks = [feed.videoProducerId, feed.audioProducerId];

      for (let i = 0; i < SUBSCRIBERS; i++) subscribers.push(await WsParticipant.join(node2, cluster.token(room, `viewer-${i}`, { role: 'viewer' })));
      expect(subscribers.map((s) => s.nodeId)).toEqual(subscribers.map(() => node2.id));
      // All at once: concurrent first requests must still build a single pipe per track.
      await Promise.all(subscribers.map((s) => s.subscribe(tracks)));

      const pipeConsumers = (s: RoomMediaStats) => s.consumers.filter((c) => c.remoteNodeId === node2.id);
      const [origin, edge] = await Promise.all([cluster.roomStats(node1, room), cluster.roomStats(node2, room)]);
      expect(pipeConsumers(origin).map((c) => c.producerId).sort()).toEqual([...tracks].sort());
      expect(origin.pipes.map((p) => p.remoteNodeId)).toEqual([node2.id]);
      expect(origin.consumers.filter((c) => c.remoteNodeId === undefined)).toHaveLength(0);
      // node2: the two mirrors (same ids as the origin producers) and 2 consumers per subscriber.
      expect(edge.producers.filter((p) => p.piped).map((p) => p.producerId).sort()).toEqual([...tracks].sort());
      expect(edge.consumers.filter((c) => c.remoteNodeId === undefined)).toHaveLength(2 * SUBSCRIBERS);
      expect(edge.pipes.map((p) => p.remoteNodeId)).toEqual([node1.id]);
      // node3 holds nothing of this room: nobody there needs it.
      expect((await cluster.call<RoomMediaStats[]>('node3', 'media.roomStats', { roomId: room })).length).toBe(0);

      // Media flows: measure a window after the first packets.
      await poll('media to cross the pipe', async () => {
        const s = await cluster.roomStats(node2, room);
        const bytes = s.producers.filter((p) => p.piped).map((p) => `${p.kind} ${p.byteCount}`);
        return { done: s.producers.filter((p) => p.piped && p.byteCount > 0).length === 2, detail: bytes.join(', ') };
      });
      const before = await Promise.all([cluster.roomStats(node1, room), cluster.roomStats(node2, room)]);
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const after = await Promise.all([cluster.roomStats(node1, room), cluster.roomStats(node2, room)]);
      const delta = (pick: (o: RoomMediaStats, e: RoomMediaStats) => number) => pick(after[0], after[1]) - pick(before[0], before[1]);
      const produced = delta((o) => sum(o.producers.map((p) => p.byteCount)));
      const piped = delta((o) => sum(pipeConsumers(o).map((c) => c.byteCount)));
      const mirrored = delta((_o, e) => sum(e.producers.filter((p) => p.piped).map((p) => p.byteCount)));
      const wire = delta((o) => sum(o.pipes.map((p) => p.bytesSent)));
      expect(produced).toBeGreaterThan(50_000); // ~350 kb/s for 4 s
      expect(piped / produced).toBeGreaterThan(0.95);
      expect(piped / produced).toBeLessThan(1.05);
      expect(mirrored / produced).toBeGreaterThan(0.95);
      expect(mirrored / produced).toBeLessThan(1.05);
      // On the wire (SRTP tags, RTCP): still one copy, not one per subscriber.
      expect(wire / produced).toBeLessThan(1.1);

      // The last subscriber leaves: the pipe consumers on node1 and the mirrors on node2 close.
      await Promise.all(subscribers.splice(0).map((s) => s.leave()));
      await poll('pipe consumers and mirrors to close', async () => {
        const [o, e] = await Promise.all([cluster.roomStats(node1, room), cluster.roomStats(node2, room)]);
        const left = pipeConsumers(o).length + e.producers.filter((p) => p.piped).length;
        return { done: left === 0, detail: `${pipeConsumers(o).length} pipe consumers on node1, ${e.producers.filter((p) => p.piped).length} mirrors on node2` };
      }, { timeoutMs: 10000 });

      // A new subscriber gets the track piped again.
      const late = await WsParticipant.join(node2, cluster.token(room, 'late', { role: 'viewer' }));
      subscribers.push(late);
      await late.subscribe(tracks);
      expect(pipeConsumers(await cluster.roomStats(node1, room))).toHaveLength(2);
    } finally {
      await Promise.all(subscribers.map((s) => s.leave()));
      await feed?.stop();
      await alice.leave();
    }
  }));
