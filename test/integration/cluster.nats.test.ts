import type { RoomInfo } from '../../schemas/actors';
import { poll } from '../helpers/browser';
import { Cluster } from '../helpers/cluster';
import { ingest, type Ingest, mirrorBytes, WsParticipant } from '../helpers/clusterClients';

/**
 * NATS restarts under a running 3-node cluster (the cluster's private nats-server, killed and
 * started again on the same port: the shared one on 4222 is never touched). Rooms are not lost:
 * same owner, same members; media between nodes never stops (it does not go through NATS);
 * chat and new pipes work once the transporter is back; nobody is told to reconnect. Down for
 * 1 s (a restart) and for 5 s: longer than the heartbeat timeout (3 s), when Moleculer reports
 * every peer disconnected although they all still run (NodeDeathWatch tells the two apart).
 */

jest.setTimeout(120_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ size: 3 });
});

afterAll(async () => {
  await cluster?.stopAll();
});

test.each([1000, 5000])('NATS down for %i ms loses no room: same owner and members, media keeps flowing, chat and new pipes work after', (downMs) =>
  cluster.guard(async () => {
    const [node1, node2, node3] = [cluster.node('node1'), cluster.node('node2'), cluster.node('node3')];
    const room = `nats-${downMs}-${cluster.runId}`;
    const clients: WsParticipant[] = [];
    let feed: Ingest | undefined;
    try {
      const alice = await WsParticipant.join(node1, cluster.token(room, 'alice'));
      const bob = await WsParticipant.join(node2, cluster.token(room, 'bob'));
      clients.push(alice, bob);
      feed = await ingest(cluster, node1, alice);
      const tracks = [feed.videoProducerId, feed.audioProducerId];
      await bob.subscribe(tracks);
      await poll('alice\'s media on node2', async () => {
        const bytes = mirrorBytes(await cluster.roomStats(node2, room));
        return { done: bytes > 0, detail: `${bytes} B` };
      });
      const owner = await cluster.redis?.get(`cascade:room:${room}:owner`);
      expect(owner).toBe(node1.id);

      const before = mirrorBytes(await cluster.roomStats(node2, room));
      await cluster.restartNats(downMs);
      await cluster.waitForCluster(20000);
      // The probe's own NATS connection comes back too; calls work again.
      await poll('the probe to reach node2 again', async () => {
        const bytes = mirrorBytes(await cluster.roomStats(node2, room));
        return { done: bytes > before, detail: `${bytes} B (before the outage ${before} B)` };
      });
      // Media crossed node1 -> node2 during the outage (~350 kb/s; a stall would leave it near `before`).
      const afterOutage = mirrorBytes(await cluster.roomStats(node2, room));
      expect(afterOutage - before).toBeGreaterThan((downMs / 1000) * 25_000);

      // The room is still there, with the same owner and both members.
      expect(await cluster.redis?.get(`cascade:room:${room}:owner`)).toBe(owner);
      const info = await cluster.call<RoomInfo>(node3, 'room.get', { roomId: room });
      expect(info).toMatchObject({ ownerNodeId: owner, participantCount: 2, status: 'active' });

      // Chat crosses nodes again; a newcomer on node3 gets alice's tracks through a new pipe.
      await bob.chat('still here');
      await alice.client.waitFor((f) => f.event === 'chat' && (f.data as { text: string }).text === 'still here', 'chat after the restart');
      const carol = await WsParticipant.join(node3, cluster.token(room, 'carol'));
      clients.push(carol);
      await carol.subscribe(tracks);
      await poll('alice\'s media on node3', async () => {
        const bytes = mirrorBytes(await cluster.roomStats(node3, room));
        return { done: bytes > 0, detail: `${bytes} B` };
      });
      // Nobody was told to reconnect or left.
      for (const c of [alice, bob]) expect(c.client.frames.filter((f) => f.event === 'reconnect' || f.event === 'participant_left')).toEqual([]);
    } finally {
      await Promise.all(clients.map((c) => c.leave()));
      await feed?.stop();
    }
  }));
