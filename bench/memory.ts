import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../config/load';
import { mediaCodecs } from '../media/codecs';
import { startBareServer } from './lib/bareServer';
import { ClientProcess } from './lib/clientProcess';
import { freeUdpTcpPort, startBenchServer } from './lib/server';
import { argNumber, argString, fmt, printHeader, table } from './lib/stats';

/**
 * Memory per connected participant on one node: the server's Node RSS and heap with 0, N/2 and
 * N participants connected (each joined, with a send and a recv transport), all in one room.
 * The clients live in a child process, so their sockets and heap are not counted. Run with
 * --expose-gc so each reading follows full collections; without it, heap numbers include garbage.
 *
 * `--server bare` measures bench/lib/bareServer.ts (a mediasoup-demo-shaped server) the same
 * way instead, to tell what the method gives for a demo-like server from what Cascade adds.
 *
 * Usage: npm run build && node --expose-gc dist/bench/memory.js [--participants 200] [--warmup 20] [--server cascade|bare]
 */

/** The server under test, whichever it is. */
interface Target {
  wsBase: string;
  /** Participants joined in `room` and still connected, as the server sees them. */
  joined(room: string): Promise<number>;
  stop(): Promise<void>;
}

async function startTarget(kind: string): Promise<Target> {
  if (kind === 'bare') {
    const config = loadConfig();
    const bare = await startBareServer({ workerBin: config.mediasoup.workerBin, rtcPort: await freeUdpTcpPort(), codecs: mediaCodecs(config.codecs) });
    return { wsBase: bare.wsBase, joined: (room) => bare.joinedPeers(room), stop: () => bare.close() };
  }
  if (kind !== 'cascade') throw new Error(`--server must be cascade or bare, got ${kind}`);
  const server = await startBenchServer();
  return {
    wsBase: `${server.url.replace(/^http/, 'ws')}/ws`,
    joined: async (room) => (await server.broker.call<unknown[], { roomId: string }>('room.members', { roomId: room })).length,
    stop: () => server.stop(),
  };
}

interface Reading {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  workerRss: number;
}

const KB = 1024;
const MB = 1024 * 1024;

async function main(): Promise<void> {
  const total = argNumber('participants', 200);
  const warmup = argNumber('warmup', 20);
  const half = Math.floor(total / 2);
  const kind = argString('server') ?? 'cascade';
  printHeader(`memory per participant (${kind} server): 0 → ${half} → ${total} connected (one room, two transports each)`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) console.log('WARNING: run with --expose-gc; heap figures below include uncollected garbage');

  const server = await startTarget(kind);
  const clients = ClientProcess.start();
  try {
    const { wsBase } = server;
    const stamp = Date.now().toString(36);

    // Warm-up: code paths compiled, caches and pools at their working size, a router created
    // and closed: the baseline is a server that has already served people, not a cold one.
    if (warmup > 0) {
      await clients.join(wsBase, `warmup-${stamp}`, 'warmup', warmup);
      await clients.close('warmup');
      await sleep(500);
    }

    const room = `bench-mem-${stamp}`;
    const r0 = await settle(gc);
    await clients.join(wsBase, room, 'a', half);
    const r1 = await settle(gc);
    await clients.join(wsBase, room, 'b', total - half);
    const r2 = await settle(gc);
    // The readings mean something only if everyone is really in: ask the server.
    const joined = await server.joined(room);
    if (joined !== total) throw new Error(`expected ${total} participants in ${room}, the server has ${joined}`);
    console.log(`room ${room}: ${joined} participants connected, each with a send and a recv transport`);

    const per = (a: Reading, b: Reading, n: number, key: keyof Reading) => (b[key] - a[key]) / n / KB;
    console.log('');
    console.log(
      table(
        ['connected', 'RSS MB', 'heapUsed MB', 'heapTotal MB', 'external MB', 'worker RSS MB'],
        [
          ['0', r0, 0],
          [String(half), r1, half],
          [String(total), r2, total],
        ].map(([label, r]) => {
          const x = r as Reading;
          return [label as string, fmt(x.rss / MB, 1), fmt(x.heapUsed / MB, 1), fmt(x.heapTotal / MB, 1), fmt(x.external / MB, 1), fmt(x.workerRss / MB, 1)];
        }),
      ),
    );
    console.log('');
    console.log(
      table(
        ['per participant', 'RSS KB', 'heapUsed KB', 'external KB', 'worker RSS KB'],
        [
          [`0 → ${total}`, fmt(per(r0, r2, total, 'rss'), 0), fmt(per(r0, r2, total, 'heapUsed'), 1), fmt(per(r0, r2, total, 'external'), 1), fmt(per(r0, r2, total, 'workerRss'), 0)],
          [`${half} → ${total}`, fmt(per(r1, r2, total - half, 'rss'), 0), fmt(per(r1, r2, total - half, 'heapUsed'), 1), fmt(per(r1, r2, total - half, 'external'), 1), fmt(per(r1, r2, total - half, 'workerRss'), 0)],
          ['reference: mediasoup-demo', '~230', '~38', '', ''],
        ],
      ),
    );
    console.log(
      `SUMMARY ${JSON.stringify({ rssKB: per(r0, r2, total, 'rss'), heapKB: per(r0, r2, total, 'heapUsed'), rssKBUpper: per(r1, r2, total - half, 'rss'), heapKBUpper: per(r1, r2, total - half, 'heapUsed') })}`,
    );
  } finally {
    await clients.stop();
    await server.stop();
  }
}

/**
 * Lets pending work finish (persistence, event fan-out), collects fully, then reads. The median
 * of three readings a little apart damps a collection or allocation caught mid-way.
 */
async function settle(gc: (() => void) | undefined): Promise<Reading> {
  await sleep(1000);
  const readings: Reading[] = [];
  for (let i = 0; i < 3; i++) {
    if (gc) {
      gc();
      gc();
    }
    await sleep(200);
    const m = process.memoryUsage();
    readings.push({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, workerRss: workersRss() });
  }
  const mid = (key: keyof Reading) => readings.map((r) => r[key]).sort((a, b) => a - b)[1]!;
  return { rss: mid('rss'), heapUsed: mid('heapUsed'), heapTotal: mid('heapTotal'), external: mid('external'), workerRss: mid('workerRss') };
}

/** RSS of this process's mediasoup-worker children (for information: not Node's memory). */
function workersRss(): number {
  let sum = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (!/^Name:\s*mediasoup-worke/m.test(status)) continue;
      if (Number(/^PPid:\s*(\d+)/m.exec(status)?.[1]) !== process.pid) continue;
      sum += Number(/^VmRSS:\s*(\d+) kB/m.exec(status)?.[1] ?? 0) * KB;
    } catch {
      // The process went away between readdir and read.
    }
  }
  return sum;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
