import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../cli/server';
import { liveChildren } from '../egress/children';
import { mintToken } from '../gateway/auth/tokens';
import { ingestVia, WsParticipant, type Ingest } from '../test/helpers/clusterClients';
import { RtmpSink } from '../test/helpers/rtmp';
import { api, startTestServer } from '../test/helpers/server';
import { argNumber, fmt, median, printHeader, table } from './lib/stats';

/**
 * Egress through the real server (REST → room → egress actor → ffmpeg), with two publishers
 * (ffmpeg RTP: VP8 320x240 15 fps + Opus each) in the room:
 *   rtmp first byte  POST /rooms/:id/rtmp/start → first bytes recorded by a local nginx-rtmp sink
 *   CPU              ffmpeg's CPU (utime+stime from /proc, all its processes) over a window while
 *                    active, in cores: 720p30 composite as webm (VP8), mp4 (H.264), RTMP (H.264
 *                    FLV), and per-track recording (no video transcoding for webm).
 *   room close       DELETE /rooms/:id → its per-track recording (4 tracks, 4 ffmpeg) complete:
 *                    every ffmpeg has to finish a file whose input has just gone silent.
 * Usage: npm run build && node dist/bench/egress.js [--runs 5] [--window 10]
 */

const RUNS = argNumber('runs', 5);
const WINDOW_S = argNumber('window', 10);
const TICKS = 100; // USER_HZ on Linux

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuTicks(pid: number): number {
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function room(server: RunningServer, name: string): Promise<{ id: string; close(): Promise<void> }> {
  const wsUrl = server.url.replace(/^http/, 'ws') + '/ws';
  const people: { p: WsParticipant; feed: Ingest }[] = [];
  for (const identity of ['alice', 'bob']) {
    const p = await WsParticipant.join({ wsUrl }, mintToken(server.config.auth, { room: name, identity, role: 'host' }));
    people.push({ p, feed: await ingestVia((action, params) => server.broker.call(action, params), server.broker.nodeID, p) });
  }
  return {
    id: name,
    close: async () => {
      for (const { p, feed } of people) {
        await feed.stop();
        await p.leave();
      }
    },
  };
}

async function jobState(server: RunningServer, id: string): Promise<{ status: string; duration_seconds: number }> {
  return (await api(server, 'GET', `/egress/${id}`)).body;
}

async function rtmpFirstByte(server: RunningServer, sink: RtmpSink, run: number): Promise<number> {
  const r = await room(server, `bench-rtmp-${run}-${Date.now()}`);
  try {
    const before = new Set((await sink.recordings()).map((f) => f.path));
    const started = Date.now();
    const res = await api(server, 'POST', `/rooms/${r.id}/rtmp/start`, { body: { url: sink.url(`bench-${run}`) } });
    if (res.status !== 201) throw new Error(`rtmp/start: ${JSON.stringify(res.body)}`);
    await until('first bytes at the sink', async () => (await sink.recordings()).some((f) => !before.has(f.path) && f.size > 0));
    const ms = Date.now() - started;
    await api(server, 'POST', `/rooms/${r.id}/rtmp/stop`, { body: {} });
    await until('rtmp to end', async () => ['complete', 'failed'].includes((await jobState(server, res.body.id)).status));
    return ms;
  } finally {
    await r.close();
  }
}

async function roomCloseToEnded(server: RunningServer, run: number): Promise<number> {
  const r = await room(server, `bench-close-${run}-${Date.now()}`);
  try {
    const res = await api(server, 'POST', `/rooms/${r.id}/recording/start`, { body: { format: 'webm', composite: false } });
    if (res.status !== 201) throw new Error(`recording/start: ${JSON.stringify(res.body)}`);
    await until('recording', async () => (await jobState(server, res.body.id)).duration_seconds >= 3);
    const started = Date.now();
    const closed = await api(server, 'DELETE', `/rooms/${r.id}`);
    if (closed.status !== 204) throw new Error(`DELETE /rooms: ${JSON.stringify(closed.body)}`);
    await until('job to end', async () => ['complete', 'failed'].includes((await jobState(server, res.body.id)).status));
    return Date.now() - started;
  } finally {
    await r.close();
  }
}

async function cpuOf(server: RunningServer, kind: 'recording' | 'rtmp', body: object, sink: RtmpSink): Promise<number> {
  const r = await room(server, `bench-cpu-${Date.now()}`);
  try {
    const before = new Set(liveChildren());
    const path = kind === 'rtmp' ? 'rtmp' : 'recording';
    const res = await api(server, 'POST', `/rooms/${r.id}/${path}/start`, { body: kind === 'rtmp' ? { url: sink.url(`cpu-${Date.now()}`) } : body });
    if (res.status !== 201) throw new Error(`${path}/start: ${JSON.stringify(res.body)}`);
    await until('active', async () => (await jobState(server, res.body.id)).duration_seconds >= 2);
    const pids = liveChildren().filter((pid) => !before.has(pid));
    const t0 = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
    const started = Date.now();
    await sleep(WINDOW_S * 1000);
    const used = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0) - t0;
    const cores = used / TICKS / ((Date.now() - started) / 1000);
    await api(server, 'POST', `/rooms/${r.id}/${path}/stop`, { body: {} });
    await until('job to end', async () => ['complete', 'failed'].includes((await jobState(server, res.body.id)).status));
    return cores;
  } finally {
    await r.close();
  }
}

async function main(): Promise<void> {
  printHeader('Egress: RTMP start → first byte, ffmpeg CPU per job, room close → recording complete');
  const dir = await mkdtemp(join(tmpdir(), 'cascade-bench-egress-'));
  const server = await startTestServer({ egress: { directory: dir, canvas: { width: 1280, height: 720, fps: 30 } } });
  const sink = await RtmpSink.start();
  try {
    const firstByte: number[] = [];
    for (let run = 1; run <= RUNS; run++) firstByte.push(await rtmpFirstByte(server, sink, run));
    console.log(table(['rtmp/start → first byte at sink', 'runs', 'median ms', 'min', 'max'], [
      ['', String(RUNS), fmt(median(firstByte), 0), fmt(Math.min(...firstByte), 0), fmt(Math.max(...firstByte), 0)],
    ]));

    const closing: number[] = [];
    for (let run = 1; run <= RUNS; run++) closing.push(await roomCloseToEnded(server, run));
    console.log(table(['DELETE /rooms/:id → per-track recording complete (4 tracks)', 'runs', 'median ms', 'min', 'max'], [
      ['', String(RUNS), fmt(median(closing), 0), fmt(Math.min(...closing), 0), fmt(Math.max(...closing), 0)],
    ]));

    const rows: string[][] = [];
    const cases: [string, 'recording' | 'rtmp', object][] = [
      ['composite 1280x720@30 webm (VP8/Opus)', 'recording', { format: 'webm' }],
      ['composite 1280x720@30 mp4 (H.264/AAC)', 'recording', { format: 'mp4' }],
      ['RTMP 1280x720@30 FLV (H.264/AAC)', 'rtmp', {}],
      ['per-track webm (4 tracks, copy)', 'recording', { format: 'webm', composite: false }],
    ];
    for (const [name, kind, body] of cases) rows.push([name, fmt(await cpuOf(server, kind, body, sink), 3)]);
    console.log(table([`ffmpeg CPU over ${WINDOW_S} s, 2 publishers`, 'cores'], rows));
  } finally {
    await sink.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
