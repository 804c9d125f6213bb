import type { ServiceBroker } from 'moleculer';
import { mediaCodecs } from '../media/codecs';
import { ParticipantActions, RoomActions, type JoinResult, type RoomMessage } from '../schemas/actors';
import type { NodeId, ParticipantId, RoomId } from '../schemas/ids';
import { startBareServer } from './lib/bareServer';
import { ClientProcess } from './lib/clientProcess';
import { freeUdpTcpPort, startBenchServer } from './lib/server';
import { timeSessions } from './lib/serverTiming';
import { JOIN_STEPS, type JoinTiming } from './lib/signaling';
import { argNumber, fmt, mean, percentile, printHeader, table } from './lib/stats';

/**
 * Join latency: how long until a participant has joined and is ready to send, on one node.
 *
 *   getRouterRtpCapabilities → join → createTransport send → createTransport recv
 *
 * N sequential joins into ONE room (participants stay connected, so the room grows to N and
 * every join is announced to everyone already there), measured against one server and worker:
 *   ws        — a client over the WebSocket (clients live in a child process; loopback): what a
 *               browser's signaling waits for: ws + gateway + actors + mediasoup;
 *   ws server — the same requests timed inside the server, message in → response written;
 *   actors    — the same sequence as broker.call from inside the server (what the gateway does
 *               per request), into a room with no sockets: actors + mediasoup;
 *   media     — the media service alone (capabilities + two WebRtcTransports): the floor;
 *   bare      — bench/lib/bareServer.ts, a mediasoup-demo-shaped server (ws + mediasoup, no
 *               actors), joined by the same client process in the same rounds as `ws` (one
 *               join into each per round), so both see the same machine load.
 * ws − bare is what Cascade costs over a demo-style server; actors − media is the actor layer.
 *
 * Usage: npm run build && node dist/bench/join.js [--joins 100] [--warmup 10]
 */

type Timing = Record<string, number>;

const MEDIA_STEPS = ['getRouterRtpCapabilities', 'createTransport send', 'createTransport recv'] as const;

async function main(): Promise<void> {
  const joins = argNumber('joins', 100);
  const warmup = argNumber('warmup', 10);
  printHeader(`join latency: ${joins} sequential joins into one room (after ${warmup} warm-up joins)`);

  const server = await startBenchServer();
  const bare = await startBareServer({
    workerBin: server.config.mediasoup.workerBin,
    rtcPort: await freeUdpTcpPort(),
    codecs: mediaCodecs(server.config.codecs),
  });
  const clients = ClientProcess.start();
  try {
    const wsBase = `${server.url.replace(/^http/, 'ws')}/ws`;
    const stamp = Date.now().toString(36);

    // Warm-up: JIT and lazily created objects (first router, first room) in every path below.
    if (warmup > 0) {
      await clients.joinEach(
        [
          { wsBase, room: `warmup-ws-${stamp}`, group: 'warmup-ws' },
          { wsBase: bare.wsBase, room: `warmup-bare-${stamp}`, group: 'warmup-bare' },
        ],
        warmup,
      );
      await clients.close('warmup-ws');
      await clients.close('warmup-bare');
      await actorJoins(server.broker, `warmup-actors-${stamp}`, warmup);
      await mediaJoins(server.broker, `warmup-media-${stamp}`, warmup);
    }

    const sessions = timeSessions();
    const results = await clients.joinEach(
      [
        { wsBase, room: `bench-ws-${stamp}`, group: 'ws' },
        { wsBase: bare.wsBase, room: `bench-bare-${stamp}`, group: 'bare' },
      ],
      joins,
    );
    sessions.restore();
    const ws = results.ws!;
    const bareRun = results.bare!;
    const gateway = [...sessions.byIdentity.entries()]
      .filter(([identity]) => identity.startsWith('ws-'))
      .map(([, steps]) => ({ ...steps, total: JOIN_STEPS.reduce((sum, s) => sum + (steps[s] ?? Number.NaN), 0) }) as Timing);
    const actors = await actorJoins(server.broker, `bench-actors-${stamp}`, joins);
    const media = await mediaJoins(server.broker, `bench-media-${stamp}`, joins);

    report('ws: client round trips (client process → WebSocket → gateway → actors → mediasoup)', ws.timings, [...JOIN_STEPS, 'total']);
    console.log(`  (ws connect, not in total: p50 ${fmt(percentile(ws.connectMs, 50))} ms, p99 ${fmt(percentile(ws.connectMs, 99))} ms)`);
    report('ws server side (gateway session: message in → response written; same requests)', gateway, [...JOIN_STEPS, 'total']);
    report('actors (in-process broker.call: media caps, room.join, participant.createTransport ×2)', actors, [...JOIN_STEPS, 'total']);
    report('media (in-process broker.call: media caps, media.createWebRtcTransport ×2; no join)', media, [...MEDIA_STEPS, 'total']);
    report('bare: mediasoup-demo-shaped server, client round trips (same rounds as ws)', bareRun.timings, [...JOIN_STEPS, 'total']);

    const runs: Record<string, readonly Timing[]> = { ws: ws.timings, 'ws server side': gateway, actors, media, bare: bareRun.timings };
    console.log('');
    console.log(growth('total by room size (p50 ms over each tenth of the joins)', runs));

    const p = (t: readonly Timing[], q: number) => percentile(t.map((x) => x.total!), q);
    console.log('');
    console.log(
      table(
        ['whole sequence', 'p50 ms', 'p99 ms'],
        [
          ['Cascade over WebSocket (client)', fmt(p(ws.timings, 50)), fmt(p(ws.timings, 99))],
          ['Cascade, server side', fmt(p(gateway, 50)), fmt(p(gateway, 99))],
          ['Cascade actors in-process', fmt(p(actors, 50)), fmt(p(actors, 99))],
          ['media service alone', fmt(p(media, 50)), fmt(p(media, 99))],
          ['bare demo-shaped server (client)', fmt(p(bareRun.timings, 50)), fmt(p(bareRun.timings, 99))],
          ['reference: mediasoup-demo (issue 2)', '2.3–3.2', '6.4–9.3'],
        ],
      ),
    );
    console.log(
      `SUMMARY ${JSON.stringify({
        ws: [p(ws.timings, 50), p(ws.timings, 99)],
        server: [p(gateway, 50), p(gateway, 99)],
        actors: [p(actors, 50), p(actors, 99)],
        media: [p(media, 50), p(media, 99)],
        bare: [p(bareRun.timings, 50), p(bareRun.timings, 99)],
      })}`,
    );
  } finally {
    await clients.stop();
    await bare.close();
    await server.stop();
  }
}

function report(title: string, timings: readonly Timing[], steps: readonly string[]): void {
  console.log(`\n${title}`);
  const rows = steps.map((step) => {
    const xs = timings.map((t) => t[step]!);
    return [step, fmt(percentile(xs, 50)), fmt(percentile(xs, 99)), fmt(mean(xs)), fmt(Math.max(...xs))];
  });
  console.log(table(['step', 'p50 ms', 'p99 ms', 'mean ms', 'max ms'], rows));
}

/** p50 of the total per tenth of the run: shows what the room's growing size costs. */
function growth(title: string, runs: Record<string, readonly Timing[]>): string {
  const n = Math.min(...Object.values(runs).map((t) => t.length));
  const tenth = Math.max(1, Math.floor(n / 10));
  const slices: [number, number][] = [];
  for (let from = 0; from < n; from += tenth) slices.push([from, Math.min(n, from + tenth)]);
  const rows = Object.entries(runs).map(([name, t]) => [name, ...slices.map(([a, b]) => fmt(percentile(t.slice(a, b).map((x) => x.total!), 50)))]);
  return `${title}\n${table(['joins', ...slices.map(([a, b]) => `${a + 1}–${b}`)], rows)}`;
}

/** The gateway's calls for the join sequence (see gateway/SignalingSession.ts), made directly. */
async function actorJoins(broker: ServiceBroker, roomId: string, count: number): Promise<JoinTiming[]> {
  const out: JoinTiming[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    let t = t0;
    const lap = () => {
      const now = process.hrtime.bigint();
      const ms = Number(now - t) / 1e6;
      t = now;
      return ms;
    };
    const caps = await broker.call<Record<string, unknown>, Record<string, never>>('media.getRouterRtpCapabilities', {});
    const capsMs = lap();
    const params: RoomMessage<'join'> = {
      roomId: roomId as RoomId,
      identity: `actor-${i}`,
      name: `actor-${i}`,
      role: 'guest',
      gatewayNodeId: broker.nodeID as NodeId,
      rtpCapabilities: (caps.rtpCapabilities as Record<string, unknown> | undefined) ?? caps,
    };
    const joined = await broker.call<JoinResult, RoomMessage<'join'>>(RoomActions.join, params);
    const joinMs = lap();
    if (joined.status !== 'joined') throw new Error(`join: ${joined.status}`);
    const target = { nodeID: joined.participantNodeId };
    await broker.call(ParticipantActions.createTransport, { participantId: joined.participantId, direction: 'send' }, target);
    const sendMs = lap();
    await broker.call(ParticipantActions.createTransport, { participantId: joined.participantId, direction: 'recv' }, target);
    const recvMs = lap();
    out.push({ getRouterRtpCapabilities: capsMs, join: joinMs, 'createTransport send': sendMs, 'createTransport recv': recvMs, total: Number(t - t0) / 1e6 });
  }
  return out;
}

/** The mediasoup work of the sequence through the media service, with no room or participant actor. */
async function mediaJoins(broker: ServiceBroker, roomId: string, count: number): Promise<Timing[]> {
  const out: Timing[] = [];
  for (let i = 0; i < count; i++) {
    const participantId = `media-${i}` as ParticipantId;
    const t0 = process.hrtime.bigint();
    await broker.call('media.getRouterRtpCapabilities', {});
    const t1 = process.hrtime.bigint();
    await broker.call('media.createWebRtcTransport', { roomId, participantId, direction: 'send' });
    const t2 = process.hrtime.bigint();
    await broker.call('media.createWebRtcTransport', { roomId, participantId, direction: 'recv' });
    const t3 = process.hrtime.bigint();
    const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
    out.push({ getRouterRtpCapabilities: ms(t0, t1), 'createTransport send': ms(t1, t2), 'createTransport recv': ms(t2, t3), total: ms(t0, t3) });
  }
  return out;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
