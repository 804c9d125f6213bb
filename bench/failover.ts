import { readFileSync } from 'node:fs';
import type { RoomMediaStats } from '../media';
import { poll } from '../test/helpers/browser';
import { Cluster, type ClusterNode } from '../test/helpers/cluster';
import { ingest, WsParticipant, type Ingest } from '../test/helpers/clusterClients';
import { argNumber, argString, fmt, median, printHeader, table } from './lib/stats';

/**
 * How long a kill -9 of a media node keeps its participants without media. A fresh 3-node
 * cluster of separate processes per run (test/helpers/cluster.ts: private NATS and Redis):
 *   dora  joins first through node2, so node2 owns the room and must move too ("owner dies"); or
 *         alice joins first through node1, which keeps the room ("owner survives")
 *   carol on node3 publishes (ffmpeg into plain-RTP producers)
 *   bob   talks to node1's gateway, region us: his media is on node2; he consumes carol's tracks
 *         (piped node3 -> node2)
 * Then node2 gets SIGKILL, and bob does what the browser client does: on `reconnect` he rejoins
 * at once through the same gateway (placed on node1, nearest to us) and consumes carol's tracks
 * again. Times from the kill, in ms:
 *   disconnect  first survivor's Moleculer reports node2 disconnected (its log line)
 *   detected    first survivor declares node2 lost (its log line: failover and reconnects start)
 *   reconnect   bob receives `reconnect`
 *   rejoined    bob's new join has answered
 *   media       carol's media reaches bob's new node (the mirror's byte counter moves)
 * Log lines carry the nodes' wall clock (same machine), to the millisecond. When the owner dies,
 * the room is rebuilt from the participant actors, which do not know ffmpeg's plain producers:
 * the bench announces carol's tracks again to the new owner once bob has rejoined (one call, a
 * few ms; a browser's tracks survive by themselves).
 *
 * Usage: npm run build && node dist/bench/failover.js [--runs 5] [--owner dies|survives|both]
 */

const STEPS = ['disconnect', 'detected', 'reconnect', 'rejoined', 'media'] as const;
type Run = Record<(typeof STEPS)[number], number>;

const mirrorBytes = (s: RoomMediaStats, ids: string[]) => s.producers.filter((p) => p.piped && ids.includes(p.producerId)).reduce((sum, p) => sum + p.byteCount, 0);

/** Wall time (ms since the epoch) of the first line of `files` matching `pattern`, after `since`. */
function firstLogTime(files: string[], pattern: string, since: number): number {
  let first = Number.NaN;
  const day = new Date(since).toISOString().slice(0, 10);
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^\[(\d\d:\d\d:\d\d\.\d{3})Z\]/.exec(line);
      if (!m || !line.includes(pattern)) continue;
      let t = Date.parse(`${day}T${m[1]}Z`);
      if (t < since - 12 * 3600_000) t += 24 * 3600_000; // the run crossed midnight (UTC)
      if (t >= since && !(t >= first)) first = t;
    }
  }
  return first;
}

type Owner = 'dies' | 'survives';

async function once(run: number, owner: Owner): Promise<Run> {
  const cluster = await Cluster.start({ size: 3 });
  const clients: WsParticipant[] = [];
  let feed: Ingest | undefined;
  try {
    const [node1, node2, node3] = ['node1', 'node2', 'node3'].map((n) => cluster.node(n)) as [ClusterNode, ClusterNode, ClusterNode];
    const room = `bench-failover-${run}-${cluster.runId}`;
    // The probe broker learns the nodes' services a moment after the nodes know each other.
    await poll('the probe to reach every media service', async () => {
      const answers = await Promise.all([node1, node2, node3].map((n) => cluster.roomStats(n, room).then(() => true, () => false)));
      return { done: answers.every(Boolean), detail: answers.join(', ') };
    }, { intervalMs: 50 });
    const first = owner === 'dies' ? { node: node2, identity: 'dora' } : { node: node1, identity: 'alice' };
    clients.push(await WsParticipant.join(first.node, cluster.token(room, first.identity)));
    const carol = await WsParticipant.join(node3, cluster.token(room, 'carol'));
    clients.push(carol);
    feed = await ingest(cluster, node3, carol);
    const tracks = [feed.videoProducerId, feed.audioProducerId];
    const bobToken = cluster.token(room, 'bob', { region: 'us' });
    const bob = await WsParticipant.join(node1, bobToken);
    clients.push(bob);
    if (bob.nodeId !== node2.id) throw new Error(`bob placed on ${bob.nodeId}, not node2`);
    await bob.subscribe(tracks);
    await poll('carol\'s media on node2', async () => {
      const bytes = mirrorBytes(await cluster.roomStats(node2, room), tracks);
      return { done: bytes > 0, detail: `${bytes} B` };
    });

    const told = bob.client.nextEvent('reconnect', 30000).then(() => Date.now());
    const killedAt = Date.now();
    // Not awaited yet: kill() also waits for node2's mediasoup workers to go, which bob does not.
    const killed = cluster.kill(node2);
    const reconnectAt = await told;
    const bob2 = await WsParticipant.join(node1, bobToken);
    clients.push(bob2);
    const rejoinedAt = Date.now();
    const edge = cluster.node(cluster.nodes.find((n) => n.id === bob2.nodeId)?.name ?? 'node1');
    if (owner === 'dies') {
      for (const [i, kind] of (['video', 'audio'] as const).entries()) {
        const track = { producerId: tracks[i], participantId: carol.participantId, identity: 'carol', kind, source: kind === 'video' ? 'camera' : 'microphone', muted: false };
        await cluster.call(node3, 'room.trackPublished', { roomId: room, nodeId: node3.id, track });
      }
    }
    await bob2.subscribe(tracks);
    await poll('carol\'s media on bob\'s new node', async () => {
      const bytes = mirrorBytes(await cluster.roomStats(edge, room), tracks);
      return { done: bytes > 0, detail: `${bytes} B on ${edge.name}` };
    }, { intervalMs: 10 });
    const mediaAt = Date.now();
    await killed;

    const logs = [node1.logFile, node3.logFile];
    return {
      disconnect: firstLogTime(logs, `Node '${node2.id}' disconnected`, killedAt) - killedAt,
      detected: firstLogTime(logs, `node ${node2.id} is lost`, killedAt) - killedAt,
      reconnect: reconnectAt - killedAt,
      rejoined: rejoinedAt - killedAt,
      media: mediaAt - killedAt,
    };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${cluster.logs(15)}`);
  } finally {
    await Promise.all(clients.map((c) => c.leave().catch(() => undefined)));
    await feed?.stop();
    await cluster.stopAll();
  }
}

async function main(): Promise<void> {
  const runs = argNumber('runs', 5);
  const which = argString('owner') ?? 'both';
  const owners: Owner[] = which === 'both' ? ['dies', 'survives'] : [which as Owner];
  printHeader(`failover: kill -9 of a media node in a 3-node cluster, ${runs} runs per case, ms after the kill`);
  const rows: string[][] = [];
  for (const owner of owners) {
    const results: Run[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await once(i, owner);
      results.push(r);
      console.error(`owner ${owner}, run ${i + 1}: ${STEPS.map((s) => `${s} ${fmt(r[s], 0)}`).join(', ')}`);
    }
    rows.push(...results.map((r, i) => [`owner ${owner}, run ${i + 1}`, ...STEPS.map((s) => fmt(r[s], 0))]));
    rows.push([`**owner ${owner}, median**`, ...STEPS.map((s) => `**${fmt(median(results.map((r) => r[s]).filter(Number.isFinite)), 0)}**`)]);
  }
  console.log(table(['', 'kill → disconnect seen', 'kill → detected', 'kill → reconnect sent', 'kill → rejoined', 'kill → media again'], rows));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
