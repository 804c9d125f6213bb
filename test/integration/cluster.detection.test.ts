import type { RoomInfo } from '../../schemas/actors';
import { poll } from '../helpers/browser';
import { Cluster } from '../helpers/cluster';
import { ingest, type Ingest, joinCast, mirrorBytes, WsParticipant } from '../helpers/clusterClients';

/**
 * How a node is known dead, in a 3-node cluster of separate processes whose Moleculer heartbeat
 * timeout (and so registry expiry) is 60 s: missed heartbeats cannot explain anything here.
 *  1. A node that is alive but frozen (SIGSTOP, its sockets stay open) for several seconds, far
 *     longer than a crash takes to confirm, is not declared dead: nobody is told to reconnect, the
 *     room keeps its owner, media flows on once it thaws.
 *  2. A node killed with SIGKILL is declared dead from its closed Redis connection and its silence
 *     on NATS: its participants are told to reconnect, its registry entry is gone, placement
 *     skips it, and the room moves to a live node.
 */

jest.setTimeout(120_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ size: 3, heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 60 });
});

afterAll(async () => {
  await cluster?.stopAll();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a frozen node is not dead; a killed one is, from its closed Redis connection, long before any heartbeat timeout', () =>
  cluster.guard(async () => {
    const [node1, node2, node3] = [cluster.node('node1'), cluster.node('node2'), cluster.node('node3')];
    const room = `detection-${cluster.runId}`;
    const clients: WsParticipant[] = [];
    let feed: Ingest | undefined;
    try {
      // node2 owns the room; alice publishes on node1; bob (gateway node1, region us) and carol (node3) watch her.
      const { dora, alice, bob, carol, bobToken } = await joinCast(cluster, room);
      clients.push(dora, alice, bob, carol);
      expect([dora.nodeId, alice.nodeId, bob.nodeId, carol.nodeId]).toEqual([node2.id, node1.id, node2.id, node3.id]);
      feed = await ingest(cluster, node1, alice);
      const tracks = [feed.videoProducerId, feed.audioProducerId];
      await Promise.all([bob.subscribe(tracks), carol.subscribe(tracks)]);
      await poll('alice\'s media on node2 and node3', async () => {
        const [s2, s3] = await Promise.all([cluster.roomStats(node2, room), cluster.roomStats(node3, room)]);
        return { done: mirrorBytes(s2, tracks) > 0 && mirrorBytes(s3, tracks) > 0, detail: `node2 ${mirrorBytes(s2, tracks)} B, node3 ${mirrorBytes(s3, tracks)} B` };
      });

      // 1. Frozen for 4 s: no heartbeat, no ping answered, but its Redis connection stays open.
      const beforeFreeze = mirrorBytes(await cluster.roomStats(node2, room), tracks);
      process.kill(node2.child.pid as number, 'SIGSTOP');
      await sleep(4000);
      process.kill(node2.child.pid as number, 'SIGCONT');
      // (The test's probe broker, with a 3 s heartbeat timeout, lost node2 meanwhile: its calls fail until it is back.)
      let thawed = 0;
      await poll('node2 to answer again', async () => {
        thawed = mirrorBytes(await cluster.roomStats(node2, room), tracks);
        return { done: thawed > beforeFreeze, detail: `${thawed} B (before the freeze ${beforeFreeze} B)` };
      });
      await poll('alice\'s media to keep reaching node2', async () => {
        const bytes = mirrorBytes(await cluster.roomStats(node2, room), tracks);
        return { done: bytes > thawed, detail: `${bytes} B (at the thaw ${thawed} B)` };
      });
      expect(await cluster.redis?.get(`cascade:room:${room}:owner`)).toBe(node2.id);
      expect(await cluster.redis?.exists(`cascade:node:${node2.id}`)).toBe(1);
      const info = await cluster.call<RoomInfo>(node3, 'room.get', { roomId: room });
      expect(info).toMatchObject({ ownerNodeId: node2.id, participantCount: 4 });
      for (const c of clients) expect(c.client.frames.filter((f) => f.event === 'reconnect' || f.event === 'participant_left')).toEqual([]);

      // 2. Killed: the heartbeat would take a minute to expire; the closed connection tells at once.
      const killed = cluster.kill(node2);
      const told = await bob.client.nextEvent('reconnect', 20000);
      expect(told.data).toEqual({ reason: 'node_failed' });
      await killed;
      expect(await cluster.redis?.exists(`cascade:node:${node2.id}`)).toBe(0);
      const bob2 = await WsParticipant.join(node1, bobToken);
      clients.push(bob2);
      expect(bob2.nodeId).toBe(node1.id);
      const owner = await cluster.redis?.get(`cascade:room:${room}:owner`);
      expect([node1.id, node3.id]).toContain(owner);
      const after = await cluster.call<RoomInfo>(node3, 'room.get', { roomId: room });
      expect(after).toMatchObject({ ownerNodeId: owner, participantCount: 3 });
      expect(after.mediaNodeIds).not.toContain(node2.id);
      // Alice and carol kept their sessions.
      for (const c of [alice, carol]) expect(c.client.frames.filter((f) => f.event === 'reconnect')).toEqual([]);
    } finally {
      await Promise.all(clients.map((c) => c.leave()));
      await feed?.stop();
    }
  }));
