import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../../cli/server';
import { liveChildren } from '../../egress/children';
import { probe, type ProbeResult } from '../../egress/probe';
import { mintToken } from '../../gateway/auth/tokens';
import type { Role } from '../../schemas/roles';
import { ingestVia, WsParticipant, type Ingest } from '../helpers/clusterClients';
import { RtmpSink } from '../helpers/rtmp';
import { WebhookReceiver } from '../helpers/webhookReceiver';
import { api, startTestServer } from '../helpers/server';
import { waitFor } from './media.helpers';

/**
 * Egress through the real server: REST starts and stops recordings and RTMP streams, the room
 * feeds the egress actor its tracks (ffmpeg-generated RTP published into the room), the job is
 * stored and readable through GET /egress, hosts receive egress_updated, and it ends cleanly on
 * stop, on room close, on an ffmpeg crash and on node shutdown, with playable files.
 */
jest.setTimeout(120000);

const KEY = 'live-sk-3b9f27c1d4';
let dir: string;
let server: RunningServer;
let sink: RtmpSink;
let hooks: WebhookReceiver;
let room = 0;

const egressConfig = (directory: string) => ({
  egress: { directory, startTimeoutSeconds: 8, canvas: { width: 320, height: 240, fps: 15 } },
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-egress-rest-'));
  hooks = await WebhookReceiver.start();
  server = await startTestServer({ ...egressConfig(dir), webhooks: { urls: [hooks.url] } });
  sink = await RtmpSink.start();
});

afterAll(async () => {
  await server?.stop();
  await sink?.stop();
  await hooks?.close();
  await rm(dir, { recursive: true, force: true });
  expect(liveChildren()).toEqual([]);
});

function token(s: RunningServer, roomId: string, identity: string, role: Role): string {
  return mintToken(s.config.auth, { room: roomId, identity, role, name: identity });
}

/** A host in a fresh room publishing ffmpeg's VP8 + Opus as camera and microphone. */
async function publishingRoom(s: RunningServer = server): Promise<{ roomId: string; host: WsParticipant; media: Ingest; close(): Promise<void> }> {
  const roomId = `egress-${++room}-${Date.now()}`;
  const host = await WsParticipant.join({ wsUrl: s.url.replace(/^http/, 'ws') + '/ws' }, token(s, roomId, 'hostess', 'host'));
  const media = await ingestVia((action, params) => s.broker.call(action, params), s.broker.nodeID, host);
  return {
    roomId,
    host,
    media,
    close: async () => {
      await media.stop();
      await host.leave();
    },
  };
}

async function egressUntil(s: RunningServer, id: string, done: (e: any) => boolean, what: string, timeoutMs = 30000): Promise<any> {
  let last: any;
  await waitFor(
    async () => {
      last = (await api(s, 'GET', `/egress/${id}`)).body;
      return done(last) || `${last.status} ${last.duration_seconds} s ${last.error ?? ''}`;
    },
    timeoutMs,
    what,
  );
  return last;
}

/**
 * A per-track job reports the longest of its files, and a video file starts up to a key frame
 * interval after the audio one. Its seconds are counted once every track's file is being written.
 */
async function everyTrackWritten(s: RunningServer, id: string, tracks: number, seconds: number): Promise<void> {
  const jobDir = join(dir, id);
  const written = async () => {
    const parts = (await readdir(jobDir).catch(() => [] as string[])).filter((f) => /\.part\d+\./.test(f));
    const sizes = await Promise.all(parts.map((f) => stat(join(jobDir, f)).then((st) => st.size)));
    return sizes.filter((size) => size > 0).length;
  };
  await waitFor(async () => (await written()) >= tracks || `${await written()} of ${tracks} files written`, 20000, 'every track written');
  const from = (await api(s, 'GET', `/egress/${id}`)).body.duration_seconds as number;
  await egressUntil(s, id, (e) => e.duration_seconds >= from + seconds, `${seconds} more seconds recorded`);
}

function expectPlayable(result: ProbeResult, codecs: string[], minSeconds: number): void {
  expect(result.streams.map((s) => s.codecName).sort()).toEqual([...codecs].sort());
  expect(result.durationSeconds).toBeGreaterThanOrEqual(minSeconds);
  for (const stream of result.streams) expect(stream.frames).toBeGreaterThan(0);
}

it('records the room as a composite webm: starting → active → stopping → complete, stored, hosts told', async () => {
  const r = await publishingRoom();
  try {
    const started = await api(server, 'POST', `/rooms/${r.roomId}/recording/start`, { body: { format: 'webm' } });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ room_id: r.roomId, kind: 'recording', status: 'starting', format: 'webm', composite: true, node_id: server.broker.nodeID });
    const id = started.body.id as string;

    await egressUntil(server, id, (e) => e.status === 'active' && e.duration_seconds >= 5, 'five seconds recorded');
    const stopped = await api(server, 'POST', `/rooms/${r.roomId}/recording/stop`, { body: {} });
    expect(stopped.status).toBe(200);
    expect(stopped.body.egress).toEqual([expect.objectContaining({ id, status: 'stopping' })]);

    const done = await egressUntil(server, id, (e) => e.status === 'complete', 'complete');
    expect(done).toMatchObject({ reason: 'stopped', error: null });
    expect(done.files).toHaveLength(1);
    expect(done.files[0].path.startsWith(join(dir, id))).toBe(true);
    expect(done.files[0].size_bytes).toBeGreaterThan(10000);
    expectPlayable(await probe(done.files[0].path, { countFrames: true }), ['opus', 'vp8'], 4);
    expect((await api(server, 'GET', `/egress?room_id=${r.roomId}`)).body.egress.map((e: any) => e.id)).toEqual([id]);

    // The host saw the job go through its states, ending with the file. The event is sent once
    // the row is stored, so it may come just after GET /egress/:id shows the job complete.
    const updates = () => r.host.client.frames.filter((f) => f.event === 'egress_updated').map((f) => f.data as { state: string; files: unknown[] });
    await waitFor(() => updates().at(-1)?.state === 'complete' || `last update: ${updates().at(-1)?.state}`, 10000, 'egress_updated complete');
    expect(updates().map((u) => u.state)).toEqual(expect.arrayContaining(['active', 'stopping', 'complete']));
    expect(updates().at(-1)?.files).toHaveLength(1);

    // Webhooks: recording.started, then recording.ready with the file's path, duration and size.
    const about = (event: string) => hooks.received.filter((h) => h.body?.event === event && h.body?.egress?.id === id).map((h) => h.body);
    await hooks.waitFor(() => about('recording.ready').length === 1, 'recording.ready');
    expect(about('recording.started')).toEqual([expect.objectContaining({ roomId: r.roomId, egress: expect.objectContaining({ state: 'active' }) })]);
    expect(about('recording.ready')[0]).toMatchObject({ path: done.files[0].path, size: done.files[0].size_bytes, egress: { state: 'complete' } });
    expect(about('recording.ready')[0].duration).toBeGreaterThanOrEqual(4);
  } finally {
    await r.close();
  }
});

it('a host token records per-track mp4; a guest token is refused; bad requests get codes', async () => {
  const r = await publishingRoom();
  try {
    const guest = `Bearer ${token(server, r.roomId, 'gus', 'guest')}`;
    const refused = await api(server, 'POST', `/rooms/${r.roomId}/recording/start`, { body: {}, auth: guest });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    const otherRoom = `Bearer ${token(server, 'another-room', 'hostess', 'host')}`;
    expect((await api(server, 'POST', `/rooms/${r.roomId}/recording/start`, { body: {}, auth: otherRoom })).status).toBe(403);
    expect((await api(server, 'POST', `/rooms/${r.roomId}/recording/start`, { body: { format: 'avi' } })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await api(server, 'POST', `/rooms/${r.roomId}/rtmp/start`, { body: { url: 'http://example/x' } })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await api(server, 'POST', `/rooms/${r.roomId}/recording/stop`, { body: {} })).body.error.code).toBe('EGRESS_NOT_FOUND');
    expect((await api(server, 'GET', '/egress/eg_nope')).status).toBe(404);

    const host = `Bearer ${token(server, r.roomId, 'hostess', 'host')}`;
    const started = await api(server, 'POST', `/rooms/${r.roomId}/recording/start`, { body: { format: 'mp4', composite: false }, auth: host });
    expect(started).toMatchObject({ status: 201, body: { composite: false, format: 'mp4' } });
    await everyTrackWritten(server, started.body.id, 2, 5);
    await api(server, 'POST', `/rooms/${r.roomId}/recording/stop`, { body: { egress_id: started.body.id }, auth: host });
    const done = await egressUntil(server, started.body.id, (e) => e.status === 'complete', 'complete');
    expect(done.files).toHaveLength(2);
    const byProducer = new Map(done.files.map((f: any) => [f.producer_id, f]));
    expectPlayable(await probe((byProducer.get(r.media.videoProducerId) as any).path, { countFrames: true }), ['h264'], 3.5);
    expectPlayable(await probe((byProducer.get(r.media.audioProducerId) as any).path, { countFrames: true }), ['opus'], 3.5);
  } finally {
    await r.close();
  }
});

it('a room with recording disabled refuses; a job with no track fails with start_timeout', async () => {
  const created = await api(server, 'POST', '/rooms', { body: { name: `no-rec-${Date.now()}`, recording_enabled: false } });
  const refused = await api(server, 'POST', `/rooms/${created.body.id}/recording/start`, { body: {} });
  expect(refused).toMatchObject({ status: 403, body: { error: { code: 'RECORDING_DISABLED' } } });

  const empty = await api(server, 'POST', '/rooms', { body: { name: `empty-${Date.now()}` } });
  const started = await api(server, 'POST', `/rooms/${empty.body.id}/recording/start`, { body: {} });
  expect(started.status).toBe(201);
  const failed = await egressUntil(server, started.body.id, (e) => e.status === 'failed', 'start timeout', 20000);
  expect(failed).toMatchObject({ reason: 'start_timeout', error: expect.stringContaining('no track') });
});

it('closing the room stops its recording by itself, keeping a playable file', async () => {
  const r = await publishingRoom();
  try {
    const started = await api(server, 'POST', `/rooms/${r.roomId}/recording/start`, { body: { composite: false } });
    await everyTrackWritten(server, started.body.id, 2, 3);
    expect((await api(server, 'DELETE', `/rooms/${r.roomId}`)).status).toBe(204);
    const done = await egressUntil(server, started.body.id, (e) => e.status === 'complete', 'complete');
    expect(done.reason).toBe('room_closed');
    const video = done.files.find((f: any) => f.producer_id === r.media.videoProducerId);
    expectPlayable(await probe(video.path, { countFrames: true }), ['vp8'], 2);
  } finally {
    await r.close();
  }
});

it('ffmpeg killed mid-recording: the job fails with the reason and the partial file plays', async () => {
  const r = await publishingRoom();
  try {
    const before = new Set(liveChildren());
    const started = await api(server, 'POST', `/rooms/${r.roomId}/recording/start`, { body: { composite: false } });
    await egressUntil(server, started.body.id, (e) => e.duration_seconds >= 3, 'three seconds recorded');
    const mine = liveChildren().filter((pid) => !before.has(pid));
    expect(mine.length).toBeGreaterThan(0);
    process.kill(mine[0] as number, 'SIGKILL');
    const failed = await egressUntil(server, started.body.id, (e) => e.status === 'failed', 'failed');
    expect(failed.reason).toBe('ffmpeg_exited');
    await hooks.waitFor((all) => all.some((h) => h.body?.event === 'egress.failed' && h.body.egress.id === started.body.id), 'egress.failed');
    expect(failed.files.length).toBeGreaterThan(0);
    for (const file of failed.files) expect((await probe(file.path, { countFrames: true })).streams.every((s) => (s.frames ?? 0) > 0)).toBe(true);
    expect(liveChildren().filter((pid) => !before.has(pid))).toEqual([]);
  } finally {
    await r.close();
  }
});

it('streams to RTMP: bytes reach the sink, a dropped sink is reconnected and reported, the key is stored nowhere, stop ends it', async () => {
  const r = await publishingRoom();
  try {
    const url = sink.url(KEY);
    const started = await api(server, 'POST', `/rooms/${r.roomId}/rtmp/start`, { body: { url } });
    expect(started).toMatchObject({ status: 201, body: { kind: 'rtmp', format: 'flv', url: `rtmp://127.0.0.1:${sink.port}/live/****` } });
    await waitFor(async () => ((await sink.recordings()).some((f) => f.size > 20000) ? true : 'no bytes yet'), 20000, 'bytes at the sink');
    await egressUntil(server, started.body.id, (e) => e.status === 'active', 'active');
    const stored = await server.store.egress.get(started.body.id);
    expect(JSON.stringify(stored)).not.toContain(KEY);

    // The sink drops: ffmpeg reconnects once it is back, and the reconnect is reported.
    await sink.halt();
    await hooks.waitFor(
      (all) => all.some((h) => h.body?.event === 'rtmp.reconnecting' && h.body.egress.id === started.body.id),
      'rtmp.reconnecting',
    );
    await sink.resume();
    const again = await egressUntil(server, started.body.id, (e) => e.reconnects >= 1 && e.status === 'active', 'a reconnect in progress');
    expect(again.reconnects).toBeGreaterThanOrEqual(1);
    const reconnecting = hooks.received.find((h) => h.body?.event === 'rtmp.reconnecting')?.body;
    expect(reconnecting).toMatchObject({ attempt: 1, egress: { kind: 'rtmp' } });

    const stopped = await api(server, 'POST', `/rooms/${r.roomId}/rtmp/stop`, { body: {} });
    expect(stopped.body.egress[0]).toMatchObject({ id: started.body.id, status: 'stopping' });
    const done = await egressUntil(server, started.body.id, (e) => e.status === 'complete', 'complete');
    expect(done).toMatchObject({ reason: 'stopped', files: [] });
    expect(done.bytes_written).toBeGreaterThan(20000);
    expect(JSON.stringify(done)).not.toContain(KEY);
    const mine = (event: string) => (all: { body: any }[]) => all.some((h) => h.body?.event === event && h.body.egress.id === started.body.id);
    await hooks.waitFor(mine('rtmp.stopped'), 'rtmp.stopped');
    expect(mine('rtmp.started')(hooks.received)).toBe(true);
    expect(JSON.stringify(hooks.received.map((h) => h.raw))).not.toContain(KEY);
  } finally {
    await r.close();
  }
});

it('node shutdown stops its jobs first: files finalized, rows final, no ffmpeg left', async () => {
  const own = await mkdtemp(join(tmpdir(), 'cascade-egress-stop-'));
  const db = join(own, 'cascade.sqlite');
  const node = await startTestServer({ ...egressConfig(own), database: { sqlitePath: db } });
  let stoppedNode = false;
  try {
    const r = await publishingRoom(node);
    const started = await api(node, 'POST', `/rooms/${r.roomId}/recording/start`, { body: {} });
    await egressUntil(node, started.body.id, (e) => e.duration_seconds >= 3, 'three seconds recorded');
    await r.media.stop();
    await node.stop();
    stoppedNode = true;
    expect(liveChildren()).toEqual([]);

    // The same database, opened again by a new node: the job ended for a reason, with its file.
    const again = await startTestServer({ ...egressConfig(own), database: { sqlitePath: db } });
    try {
      const job = (await api(again, 'GET', `/egress/${started.body.id}`)).body;
      expect(job).toMatchObject({ status: 'complete', reason: 'node_shutdown' });
      expect(existsSync(job.files[0].path)).toBe(true);
      expectPlayable(await probe(job.files[0].path, { countFrames: true }), ['opus', 'vp8'], 2);
    } finally {
      await again.stop();
    }
  } finally {
    if (!stoppedNode) await node.stop();
    await rm(own, { recursive: true, force: true });
  }
});

it('a job that cannot start (its directory cannot be made) fails at once: EGRESS_FAILED, stored as failed', async () => {
  // A file where the recordings directory should be: mkdir fails with ENOTDIR.
  const notADir = join(dir, 'not-a-directory');
  await writeFile(notADir, '');
  const node = await startTestServer(egressConfig(notADir));
  try {
    const roomId = `unwritable-${Date.now()}`;
    const started = await api(node, 'POST', `/rooms/${roomId}/recording/start`, { body: {} });
    expect(started).toMatchObject({ status: 500, body: { error: { code: 'EGRESS_FAILED' } } });
    const [job] = (await api(node, 'GET', `/egress?room_id=${roomId}`)).body.egress;
    expect(job).toMatchObject({ status: 'failed', reason: 'media_error' });
  } finally {
    await node.stop();
  }
});
