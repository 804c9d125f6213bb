import type { RoomMediaStats } from '../media';
import type { ParticipantSnapshot } from '../schemas/actors';
import { launchChromium, poll } from '../test/helpers/browser';
import { Cluster } from '../test/helpers/cluster';
import { ingest, openClient, WsParticipant } from '../test/helpers/clusterClients';
import { argNumber, argString, fmt, printHeader, table } from './lib/stats';

/**
 * Cascade fan-out: how many bytes cross from the publisher's node to another node per byte
 * published, with N subscribers on that other node. A cascade sends each track once per node
 * (target ≤ 1.05 at every N); a design without it (every subscriber fetching from the origin)
 * would send N copies.
 *
 * Two nodes as separate processes (test/helpers/cluster.ts: private NATS and Redis, PostgreSQL
 * schema), a publisher on node1 and N viewers on node2 (signaling clients with recv transports:
 * what is measured is what reaches node2). Publisher: ffmpeg (VP8 320x240 ~300 kb/s + opus
 * 48 kb/s into plain-RTP producers), or with --browser a Chromium page (camera in three simulcast
 * layers + microphone). Bytes come from the mediasoup objects (media.roomStats):
 *   produced  RTP bytes the origin producers received (all layers)
 *   pipe RTP  RTP bytes the pipe consumers sent towards node2
 *   wire      bytes the pipe transport sent towards node2 (SRTP tags, RTCP, RTX included)
 *
 * Usage: npm run build && node dist/bench/cascade-fanout.js [--sizes 1,10,100] [--seconds 10] [--browser]
 */

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  subscribers: number;
  pipeConsumers: number;
  edgeConsumers: number;
  producedKbps: number;
  pipeRatio: number;
  wireRatio: number;
}

async function measure(cluster: Cluster, subscribers: number, seconds: number, useBrowser: boolean): Promise<Row> {
  const [node1, node2] = [cluster.node('node1'), cluster.node('node2')];
  const room = `bench-fanout-${subscribers}-${cluster.runId}`;
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    let tracks: string[];
    if (useBrowser) {
      const browser = await launchChromium();
      cleanup.push(() => browser.close());
      const page = await openClient(browser, cluster, node1, room, 'alice');
      await poll('the browser to publish camera and microphone', async () => {
        const [me] = await cluster.call<ParticipantSnapshot[]>(node1, 'participant.listByRoom', { roomId: room });
        return { done: (me?.tracks.length ?? 0) === 2, detail: `${me?.tracks.length ?? 0} tracks; ${page.log.slice(-2).join(' | ')}` };
      });
      const [me] = await cluster.call<ParticipantSnapshot[]>(node1, 'participant.listByRoom', { roomId: room });
      tracks = (me as ParticipantSnapshot).tracks.map((t) => t.producerId);
    } else {
      const alice = await WsParticipant.join(node1, cluster.token(room, 'alice'));
      cleanup.push(() => alice.leave());
      const feed = await ingest(cluster, node1, alice);
      cleanup.push(() => feed.stop());
      tracks = [feed.videoProducerId, feed.audioProducerId];
    }

    const viewers: WsParticipant[] = [];
    cleanup.push(() => Promise.all(viewers.map((v) => v.leave())));
    for (let i = 0; i < subscribers; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, subscribers - i) }, (_, j) => WsParticipant.join(node2, cluster.token(room, `viewer-${i + j}`, { role: 'viewer' }))),
      );
      viewers.push(...batch);
      await Promise.all(batch.map((v) => v.subscribe(tracks)));
    }
    if (viewers.some((v) => v.nodeId !== node2.id)) throw new Error('a viewer was not placed on node2');

    await poll('media to reach node2', async () => {
      const s = await cluster.roomStats(node2, room);
      const mirrors = s.producers.filter((p) => p.piped && p.byteCount > 0).length;
      return { done: mirrors === tracks.length, detail: `${mirrors}/${tracks.length} mirrors receiving` };
    });
    await sleep(2000); // past the first key frames and the bandwidth ramp-up
    const before = await Promise.all([cluster.roomStats(node1, room), cluster.roomStats(node2, room)]);
    await sleep(seconds * 1000);
    const after = await Promise.all([cluster.roomStats(node1, room), cluster.roomStats(node2, room)]);

    const toNode2 = (s: RoomMediaStats) => s.consumers.filter((c) => c.remoteNodeId === node2.id);
    const delta = (pick: (origin: RoomMediaStats) => number) => pick(after[0]) - pick(before[0]);
    const produced = delta((o) => sum(o.producers.filter((p) => !p.piped).map((p) => p.byteCount)));
    const piped = delta((o) => sum(toNode2(o).map((c) => c.byteCount)));
    const wire = delta((o) => sum(o.pipes.filter((p) => p.remoteNodeId === node2.id).map((p) => p.bytesSent)));
    return {
      subscribers,
      pipeConsumers: toNode2(after[0]).length,
      edgeConsumers: after[1].consumers.filter((c) => c.remoteNodeId === undefined).length,
      producedKbps: (produced * 8) / seconds / 1000,
      pipeRatio: piped / produced,
      wireRatio: wire / produced,
    };
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const sizes = (argString('sizes') ?? '1,10,100').split(',').map(Number);
  const seconds = argNumber('seconds', 10);
  const useBrowser = process.argv.includes('--browser');
  printHeader(`cascade fan-out: ${useBrowser ? 'Chromium (simulcast)' : 'ffmpeg'} publisher on node1, N viewers on node2, ${seconds} s windows`);
  const cluster = await Cluster.start({ size: 2, env: { CASCADE_ROOM_MAX_PARTICIPANTS: '1000', CASCADE_LOG_LEVEL: 'warn' } });
  const rows: Row[] = [];
  try {
    for (const n of sizes) {
      rows.push(await measure(cluster, n, seconds, useBrowser));
      const r = rows.at(-1) as Row;
      console.error(`N=${n}: pipe/produced ${fmt(r.pipeRatio, 3)}, wire/produced ${fmt(r.wireRatio, 3)}`);
    }
  } finally {
    await cluster.stopAll();
  }
  console.log(
    table(
      ['subscribers on node2', 'pipe consumers node1→node2', 'consumers on node2', 'published kb/s', 'pipe RTP ÷ published', 'wire ÷ published', 'without cascade'],
      rows.map((r) => [String(r.subscribers), String(r.pipeConsumers), String(r.edgeConsumers), fmt(r.producedKbps, 0), fmt(r.pipeRatio, 3), fmt(r.wireRatio, 3), `${r.subscribers}×`]),
    ),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
