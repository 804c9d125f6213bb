import type { RoomInfo } from '../../schemas/actors';
import { poll } from '../helpers/browser';
import { Cluster } from '../helpers/cluster';
import { about, ingest, type Ingest, joinCast, mirrorBytes, WsParticipant } from '../helpers/clusterClients';
import { longestStall, Sampler } from '../helpers/sampler';

/**
 * A graceful stop (SIGTERM) of the node that owns a room, in a 3-node cluster of separate
 * processes: the room is handed over to a live node (lease and all) instead of being suspended.
 * Participants whose media is on the stopping node are told to reconnect (server_shutdown) and
 * rejoin elsewhere; everyone else keeps their session and their media without a reconnect, hears
 * who left, and the new owner serves them (chat, new tracks, new pipes).
 */

jest.setTimeout(120_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ size: 3 });
});

afterAll(async () => {
  await cluster?.stopAll();
});

test('SIGTERM of the owner node hands its room over: only its own participants reconnect, the others keep their media', () =>
  cluster.guard(async () => {
    const [node1, node2, node3] = [cluster.node('node1'), cluster.node('node2'), cluster.node('node3')];
    const room = `handover-${cluster.runId}`;
    const clients: WsParticipant[] = [];
    const feeds: Ingest[] = [];
    let sampler: Sampler<{ bytes: number }> | undefined;
    try {
      // dora joins first through node2, so node2 owns the room; bob talks to node1 but his media is on node2 (region us).
      const { dora, alice, bob, carol, bobToken } = await joinCast(cluster, room);
      clients.push(dora, alice, bob, carol);
      expect([dora.nodeId, alice.nodeId, bob.nodeId, carol.nodeId]).toEqual([node2.id, node1.id, node2.id, node3.id]);
      expect(await cluster.redis?.get(`cascade:room:${room}:owner`)).toBe(node2.id);
      const aliceFeed = await ingest(cluster, node1, alice);
      feeds.push(aliceFeed);
      const aliceTracks = [aliceFeed.videoProducerId, aliceFeed.audioProducerId];
      await Promise.all([bob.subscribe(aliceTracks), carol.subscribe(aliceTracks)]);
      await poll('alice\'s media on node2 and node3', async () => {
        const [s2, s3] = await Promise.all([cluster.roomStats(node2, room), cluster.roomStats(node3, room)]);
        return { done: mirrorBytes(s2, aliceTracks) > 0 && mirrorBytes(s3, aliceTracks) > 0, detail: `node2 ${mirrorBytes(s2, aliceTracks)} B, node3 ${mirrorBytes(s3, aliceTracks)} B` };
      });

      // What reaches carol's node from alice's, sampled while node2 stops.
      sampler = new Sampler(async () => ({ bytes: mirrorBytes(await cluster.roomStats(node3, room), aliceTracks) }), 200);

      const stoppedAt = Date.now();
      await cluster.kill(node2, 'SIGTERM');
      expect(await node2.exited).toBe(0);

      // bob (media on node2) is told to reconnect, and rejoins through the same gateway onto node1.
      expect((await bob.client.nextEvent('reconnect', 15000)).data).toEqual({ reason: 'server_shutdown' });
      await bob.client.closed;
      const bob2 = await WsParticipant.join(node1, bobToken);
      clients.push(bob2);
      expect(bob2.nodeId).toBe(node1.id);
      expect(bob2.joined.participants.map((p) => p.identity).sort()).toEqual(['alice', 'carol']);

      // The room lives on at a live node, which owns it in Redis and by its own account.
      const owner = await cluster.redis?.get(`cascade:room:${room}:owner`);
      expect([node1.id, node3.id]).toContain(owner);
      expect(await cluster.redis?.smembers(`cascade:node:${node2.id}:rooms`)).toEqual([]);
      const info = await cluster.call<RoomInfo>(node3, 'room.get', { roomId: room });
      expect(info).toMatchObject({ ownerNodeId: owner, participantCount: 3, status: 'active' });
      expect(info.mediaNodeIds).not.toContain(node2.id);

      // alice and carol were not disturbed: same sockets, no reconnect; they heard dora and bob leave.
      for (const survivor of [alice, carol]) {
        expect(survivor.client.isOpen).toBe(true);
        await survivor.client.waitFor((f) => f.event === 'participant_left' && about('dora')(f), 'participant_left dora');
        await survivor.client.waitFor((f) => f.event === 'participant_left' && about('bob')(f), 'participant_left bob');
        expect(survivor.client.frames.filter((f) => f.event === 'reconnect' || f.event === 'room_closed')).toEqual([]);
      }

      // The new owner serves them: chat crosses, carol publishes and alice gets it over a new pipe node3 -> node1.
      await alice.chat('after the handover');
      await carol.client.waitFor((f) => f.event === 'chat' && (f.data as { text: string }).text === 'after the handover', 'chat at carol');
      const carolFeed = await ingest(cluster, node3, carol);
      feeds.push(carolFeed);
      const carolTracks = [carolFeed.videoProducerId, carolFeed.audioProducerId];
      await alice.subscribe(carolTracks);
      await poll('carol\'s media on node1', async () => {
        const bytes = mirrorBytes(await cluster.roomStats(node1, room), carolTracks);
        return { done: bytes > 0, detail: `${bytes} B` };
      });

      // At least 3 s (and 10 samples) after the stop, however fast the rest went.
      await sampler.waitPast('the stop', stoppedAt, 3000, 10);
      await sampler.stop();
      // node1 -> node3 never stopped: the mirror's bytes kept growing through the stop.
      const window = sampler.since(stoppedAt);
      expect(window.length).toBeGreaterThan(10);
      expect(longestStall(window, (s) => s.bytes)).toBeLessThan(1000);
    } finally {
      await sampler?.stop().catch(() => undefined);
      await Promise.all(clients.map((c) => c.leave()));
      await Promise.all(feeds.map((f) => f.stop()));
    }
  }));
