import type { RoomMediaStats } from '../media';
import { Cluster, delayRelay, type ClusterNode } from '../test/helpers/cluster';
import { ingest, WsParticipant } from '../test/helpers/clusterClients';
import { TestSignalingClient } from '../test/helpers/signalingClient';
import { argNumber, fmt, mean, percentile, printHeader, table } from './lib/stats';

/**
 * Join latency in the local region vs a remote one, on a 3-node cluster (eu, us, ap) of separate
 * processes. A client in eu joins a room whose publisher is on node1 (eu), then consumes its
 * video, in three placements:
 *   local          gateway node1 (eu), media node1: every hop local
 *   remote media   gateway node1, token region "ap": media on node3, so the participant actor's
 *                  calls cross to ap, and the first consume builds the eu -> ap pipe
 *   remote region  the client talks to node3's gateway (ap) directly; media on node3
 *   ap viewer      a client in ap (no client latency) on node3, in the room owned by node1 (eu):
 *                  the webinar case, each viewer on its nearest edge, the room actor far away;
 *                  "first" builds the pipe, "next" finds the track already piped to node3
 * Latency is emulated in user space (this kernel has no netem), with TCP relays in this process
 * that hold each chunk rtt/2 each way: between the client and node3's gateway (--rtt), and
 * between node3 and NATS (--inter-node-rtt; NATS and node1 sit together in eu, so every actor
 * message between node1 and node3 pays that round trip). Pipes (UDP) are not delayed: they add
 * one-way latency to the media, not round trips to the join.
 * Steps: WebSocket open, getRouterRtpCapabilities, join, createTransport send and recv, consume +
 * resume of the publisher's video. Each join uses a fresh room, so every remote join pays for
 * building its pipe (the first consume of a track on a node).
 *
 * Usage: npm run build && node dist/bench/join-regions.js [--joins 20] [--rtt 120] [--inter-node-rtt 120]
 */

const STEPS = ['ws open', 'getRouterRtpCapabilities', 'join', 'createTransport send', 'createTransport recv', 'consume + resume'] as const;
type Timing = Record<(typeof STEPS)[number], number>;

async function timedJoin(wsUrl: string, producerId: string, check: () => Promise<void>): Promise<Timing> {
  const t: Partial<Timing> = {};
  let last = performance.now();
  const lap = (step: (typeof STEPS)[number]) => {
    const now = performance.now();
    t[step] = now - last;
    last = now;
  };
  const client = await TestSignalingClient.connect(wsUrl);
  lap('ws open');
  try {
    const { rtpCapabilities } = await client.call<{ rtpCapabilities: Record<string, unknown> }>('getRouterRtpCapabilities');
    lap('getRouterRtpCapabilities');
    await client.call('join', { rtpCapabilities });
    lap('join');
    await client.call('createTransport', { direction: 'send' });
    lap('createTransport send');
    await client.call('createTransport', { direction: 'recv' });
    lap('createTransport recv');
    const consumer = await client.call<{ id: string }>('consume', { producerId });
    await client.call('resumeConsumer', { consumerId: consumer.id });
    lap('consume + resume');
    await check();
  } finally {
    await client.request('leave', {}, 5000).catch(() => undefined);
    await client.close();
  }
  return t as Timing;
}

async function main(): Promise<void> {
  const joins = argNumber('joins', 20);
  const rtt = argNumber('rtt', 120);
  const interNodeRtt = argNumber('inter-node-rtt', 120);
  printHeader(`join latency by placement: ${joins} joins each; emulated RTT client <-> ap ${rtt} ms, eu <-> ap nodes ${interNodeRtt} ms`);
  const cluster = await Cluster.start({ size: 3, natsDelayMs: [0, 0, interNodeRtt / 2], env: { CASCADE_LOG_LEVEL: 'warn' } });
  const relay = await delayRelay(Number(new URL(cluster.node('node3').url).port), rtt / 2);
  const results: Record<string, Timing[]> = { local: [], 'remote media': [], 'remote region': [], 'ap viewer, first': [], 'ap viewer, next': [] };
  try {
    const [node1, node3] = [cluster.node('node1'), cluster.node('node3')];
    const viaRelay = `ws://127.0.0.1:${relay.port}/ws`;
    const placements: [string, ClusterNode, string, { region?: string }][] = [
      ['local', node1, node1.wsUrl, {}],
      ['remote media', node3, node1.wsUrl, { region: 'ap' }],
      ['remote region', node3, viaRelay, {}],
      ['ap viewer, first', node3, node3.wsUrl, {}],
      ['ap viewer, next', node3, node3.wsUrl, {}],
    ];
    for (let i = -2; i < joins; i++) {
      // Rounds interleave the placements so they share the machine's load; 2 warm-up rounds.
      for (const [name, expectedNode, url, hint] of placements) {
        const room = `bench-join-${i + 2}-${name.replace(/[^a-z0-9]+/gi, '-')}-${cluster.runId}`;
        const alice = await WsParticipant.join(node1, cluster.token(room, 'alice'));
        const feed = await ingest(cluster, node1, alice);
        const earlier = name.endsWith(', next') ? await WsParticipant.join(node3, cluster.token(room, 'earlier')) : undefined;
        try {
          await earlier?.subscribe([feed.videoProducerId]);
          const token = cluster.token(room, `bob-${i}`, hint);
          const timing = await timedJoin(`${url}?token=${encodeURIComponent(token)}`, feed.videoProducerId, async () => {
            const [stats] = await cluster.call<RoomMediaStats[]>(expectedNode, 'media.roomStats', { roomId: room });
            if (!stats?.consumers.some((c) => c.producerId === feed.videoProducerId && c.remoteNodeId === undefined)) {
              throw new Error(`${name}: bob's consumer is not on ${expectedNode.name}`);
            }
          });
          if (i >= 0) results[name]?.push(timing);
        } finally {
          await earlier?.leave();
          await feed.stop();
          await alice.leave();
        }
      }
    }
  } finally {
    relay.close();
    await cluster.stopAll();
  }
  const total = (t: Timing) => STEPS.reduce((sum, step) => sum + t[step], 0);
  const rows = Object.entries(results).map(([name, timings]) => [
    name,
    ...STEPS.map((step) => fmt(mean(timings.map((t) => t[step])), 1)),
    fmt(percentile(timings.map(total), 50), 1),
    fmt(percentile(timings.map(total), 95), 1),
  ]);
  console.log(table(['placement (mean ms per step)', ...STEPS, 'total p50', 'total p95'], rows));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
