import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveChildren } from '../../egress/children';
import { EgressJob } from '../../egress/EgressJob';
import type { EgressJobEvents, EgressJobOptions, EgressTrack, RecordingFormat } from '../../egress/EgressTypes';
import { mediaNodePort } from '../../egress/mediaNodePort';
import { probe, type ProbeResult } from '../../egress/probe';
import type { MediaNode } from '../../media';
import type { EgressId, ParticipantId, RoomId } from '../../schemas/ids';
import { RtpSource, rtpParametersFor, type SourceCodec } from '../helpers/rtpSource';
import { startNode, waitFor } from './media.helpers';

/**
 * A real mediasoup room with two synthetic publishers (ffmpeg RTP into plain-transport
 * producers: alice VP8 + Opus, bob H.264 + Opus), recorded through plain-transport consumers
 * into composite and per-track files, WebM and MP4, checked with ffprobe.
 */
jest.setTimeout(90000);

const roomId = 'egress-ms-room' as RoomId;
let node: MediaNode;
let dir: string;
const sources: RtpSource[] = [];
const tracks: EgressTrack[] = [];
let seq = 0;

async function publish(participant: string, kind: 'audio' | 'video', codec: SourceCodec, ssrc: number, frequency = 440): Promise<void> {
  const payloadType = kind === 'audio' ? 111 : codec === 'H264' ? 97 : 96;
  const producer = await node.createPlainProducer({
    roomId,
    participantId: participant as ParticipantId,
    kind,
    rtpParameters: rtpParametersFor(codec, payloadType, ssrc),
    source: kind === 'audio' ? 'microphone' : 'camera',
  });
  sources.push(
    new RtpSource({ kind, codec, payloadType, ssrc, ip: producer.localIp, rtpPort: producer.localRtpPort, rtcpPort: producer.localRtcpPort, frequency }),
  );
  tracks.push({ producerId: producer.producerId, participantId: participant as ParticipantId, kind });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-egress-ms-'));
  ({ node } = await startNode({ codecs: ['opus', 'VP8', 'H264'] }));
  await publish('alice', 'video', 'VP8', 1001);
  await publish('alice', 'audio', 'opus', 1002, 440);
  await publish('bob', 'video', 'H264', 2001);
  await publish('bob', 'audio', 'opus', 2002, 880);
});

afterAll(async () => {
  await Promise.all(sources.map((s) => s.stop()));
  await node?.close();
  await rm(dir, { recursive: true, force: true });
  expect(liveChildren()).toEqual([]);
});

function job(options: Partial<EgressJobOptions>): EgressJob {
  const egress = new EgressJob({
    id: `ms-${++seq}` as EgressId,
    roomId,
    kind: 'recording',
    media: mediaNodePort(node),
    directory: dir,
    canvas: { width: 320, height: 240, fps: 15 },
    startTimeoutSeconds: 15,
    ...options,
  });
  tracks.forEach((t) => egress.addTrack(t));
  return egress;
}

async function recordFor(egress: EgressJob, seconds: number): Promise<EgressJobEvents['ended']> {
  await egress.start();
  await waitFor(() => egress.progress.durationSeconds >= seconds || `${egress.state} ${egress.info.error ?? ""}, ${egress.progress.durationSeconds} s`, 30000, 'media');
  return egress.stop();
}

function expectPlayable(result: ProbeResult, codecs: string[], minSeconds = 4): void {
  expect(result.streams.map((s) => s.codecName).sort()).toEqual([...codecs].sort());
  expect(result.durationSeconds).toBeGreaterThanOrEqual(minSeconds);
  for (const stream of result.streams) expect(stream.frames).toBeGreaterThan(0);
}

it.each([
  { format: 'webm' as RecordingFormat, composite: ['opus', 'vp8'], track: { alice: 'vp8', bob: 'vp8', audio: 'opus' } },
  { format: 'mp4' as RecordingFormat, composite: ['aac', 'h264'], track: { alice: 'h264', bob: 'h264', audio: 'opus' } },
])('records the room as $format: composite and per-track at once', async ({ format, composite, track }) => {
  const consumersBefore = node.stats().consumers;
  const grid = job({ format });
  const perTrack = job({ format, composite: false, startTimeoutSeconds: 20 });
  // Per-track files start one by one (an ffmpeg each): on a loaded machine the last may lag by seconds.
  const [gridEnded, tracksEnded] = await Promise.all([recordFor(grid, 5), recordFor(perTrack, 8)]);
  expect(node.stats().consumers).toBe(consumersBefore); // every plain consumer closed again

  expect(gridEnded.state).toBe('complete');
  expect(gridEnded.files).toHaveLength(1);
  const gridResult = await probe(gridEnded.files[0]?.path ?? '', { countFrames: true });
  expectPlayable(gridResult, composite);
  expect(gridResult.streams.find((s) => s.codecType === 'video')).toMatchObject({ width: 320, height: 240 });

  expect(tracksEnded.state).toBe('complete');
  expect(tracksEnded.files).toHaveLength(4);
  for (const file of tracksEnded.files) {
    const t = tracks.find((x) => x.producerId === file.producerId);
    expect(file.participantId).toBe(t?.participantId);
    const expected = t?.kind === 'audio' ? track.audio : track[t?.participantId as 'alice' | 'bob'];
    expectPlayable(await probe(file.path, { countFrames: true }), [expected], 3.5);
    // Real pictures, not a starved encoder's grey: 320x240 test pattern for seconds is > 20 kB.
    if (t?.kind === 'video') expect(file.sizeBytes).toBeGreaterThan(20000);
  }
});

it('the room closes mid-recording: the job stops by itself and keeps a playable file', async () => {
  const closing = await startNode({ codecs: ['opus', 'VP8'] });
  const room = 'closing-room' as RoomId;
  const producer = await closing.node.createPlainProducer({
    roomId: room,
    participantId: 'carol' as ParticipantId,
    kind: 'video',
    rtpParameters: rtpParametersFor('VP8', 96, 3001),
    source: 'camera',
  });
  const source = new RtpSource({ kind: 'video', codec: 'VP8', payloadType: 96, ssrc: 3001, ip: producer.localIp, rtpPort: producer.localRtpPort, rtcpPort: producer.localRtcpPort });
  try {
    const egress = new EgressJob({ id: 'ms-closing' as EgressId, roomId: room, kind: 'recording', media: mediaNodePort(closing.node), directory: dir, composite: false });
    egress.addTrack({ producerId: producer.producerId, participantId: 'carol' as ParticipantId, kind: 'video' });
    await egress.start();
    await waitFor(() => egress.progress.durationSeconds >= 2 || `${egress.state} ${egress.progress.durationSeconds}`, 20000, 'media');
    // The media side goes first (router closed, RTP stops); the actor then tells the job.
    await closing.node.closeRoom({ roomId: room });
    const ended = await egress.roomClosed();
    expect(ended).toMatchObject({ state: 'complete', reason: 'room_closed' });
    expectPlayable(await probe(ended.files[0]?.path ?? '', { countFrames: true }), ['vp8'], 1.5);
  } finally {
    await source.stop();
    await closing.node.close();
  }
});
