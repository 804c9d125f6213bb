import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveChildren } from '../../egress/children';
import { trackCommand } from '../../egress/commands';
import { EgressJob } from '../../egress/EgressJob';
import type { EgressJobEvents, EgressJobOptions, EgressTrack } from '../../egress/EgressTypes';
import { Pipeline } from '../../egress/Pipeline';
import { probe, type ProbeResult } from '../../egress/probe';
import type { EgressId, ParticipantId, ProducerId, RoomId } from '../../schemas/ids';
import { RtpSourceMediaPort, type SourceCodec } from '../helpers/rtpSource';
import { waitFor } from './media.helpers';

/**
 * The egress pipeline end to end with real ffmpeg on both sides: ffmpeg RTP sources stand in for
 * mediasoup consumers (RtpSourceMediaPort), the job records them, ffprobe checks the files.
 */
jest.setTimeout(60000);

const roomId = 'egress-room' as RoomId;
let dir: string;
let seq = 0;
const jobs: EgressJob[] = [];
const ports: RtpSourceMediaPort[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-egress-test-'));
});

afterEach(async () => {
  await Promise.all(jobs.splice(0).map((job) => job.stop()));
  await Promise.all(ports.splice(0).map((port) => port.close()));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  expect(liveChildren()).toEqual([]);
});

function participant(port: RtpSourceMediaPort, name: string, video: SourceCodec | undefined, frequency = 440): EgressTrack[] {
  const tracks: EgressTrack[] = [];
  if (video) {
    const producerId = `${name}-cam` as ProducerId;
    port.addProducer({ producerId, kind: 'video', codec: video });
    tracks.push({ producerId, participantId: name as ParticipantId, kind: 'video' });
  }
  const producerId = `${name}-mic` as ProducerId;
  port.addProducer({ producerId, kind: 'audio', codec: 'opus', frequency });
  tracks.push({ producerId, participantId: name as ParticipantId, kind: 'audio' });
  return tracks;
}

function newJob(media: RtpSourceMediaPort, options: Partial<EgressJobOptions>): EgressJob {
  const job = new EgressJob({
    id: `job-${++seq}` as EgressId,
    roomId,
    kind: 'recording',
    media,
    directory: dir,
    canvas: { width: 320, height: 240, fps: 15 },
    startTimeoutSeconds: 15,
    ...options,
  });
  jobs.push(job);
  return job;
}

async function recordFor(job: EgressJob, seconds: number): Promise<EgressJobEvents['ended']> {
  await job.start();
  await waitFor(() => job.progress.durationSeconds >= seconds || `state ${job.state} ${job.info.error ?? ""}, ${job.progress.durationSeconds} s written`, 30000, 'media');
  return job.stop();
}

function expectPlayable(result: ProbeResult, codecs: string[], minSeconds = 4): void {
  expect(result.streams.map((s) => s.codecName).sort()).toEqual([...codecs].sort());
  expect(result.durationSeconds).toBeGreaterThanOrEqual(minSeconds);
  for (const stream of result.streams) expect(stream.frames).toBeGreaterThan(0);
}

describe('per-track recording (no transcoding where the container allows)', () => {
  it.each([
    { format: 'webm' as const, video: 'VP8' as const, expected: { video: 'vp8', audio: 'opus' } },
    { format: 'mp4' as const, video: 'H264' as const, expected: { video: 'h264', audio: 'opus' } },
  ])('$video + opus -> $format', async ({ format, video, expected }) => {
    const media = new RtpSourceMediaPort();
    ports.push(media);
    const job = newJob(media, { composite: false, format });
    participant(media, 'alice', video).forEach((t) => job.addTrack(t));
    const ended = await recordFor(job, 5);

    expect(ended.state).toBe('complete');
    expect(ended.files).toHaveLength(2);
    for (const file of ended.files) {
      expect(file.layout).toBe('track');
      expect(file.path.endsWith(`.${format}`)).toBe(true);
      const kind = file.producerId?.endsWith('cam') ? 'video' : 'audio';
      expectPlayable(await probe(file.path, { countFrames: true }), [expected[kind]]);
      expect(file.sizeBytes).toBeGreaterThan(1000);
    }
    expect(media.openConsumers).toBe(0);
  });
});

describe('composite recording', () => {
  it.each([
    { format: 'webm' as const, codecs: ['vp8', 'opus'] },
    { format: 'mp4' as const, codecs: ['h264', 'aac'] },
  ])('two participants in a grid, audio mixed -> $format', async ({ format, codecs }) => {
    const media = new RtpSourceMediaPort();
    ports.push(media);
    const job = newJob(media, { format });
    const states: string[] = [];
    job.on('stateChanged', ({ state }) => states.push(state));
    [...participant(media, 'alice', 'VP8', 440), ...participant(media, 'bob', 'H264', 880)].forEach((t) => job.addTrack(t));
    const ended = await recordFor(job, 5);

    expect(states).toEqual(['active', 'stopping', 'complete']);
    expect(ended.files).toHaveLength(1);
    const file = ended.files[0];
    expect(file?.layout).toBe('composite');
    const result = await probe(file?.path ?? '', { countFrames: true });
    expectPlayable(result, codecs);
    const video = result.streams.find((s) => s.codecType === 'video');
    expect([video?.width, video?.height]).toEqual([320, 240]);
    expect(ended.progress.bytesWritten).toBeGreaterThan(10000);
  });

  it.each([
    { format: 'webm' as const, codecs: ['vp8', 'opus'] },
    { format: 'mp4' as const, codecs: ['h264', 'aac'] },
  ])('restarts into a new segment when the layout changes and joins the segments ($format)', async ({ format, codecs }) => {
    const media = new RtpSourceMediaPort();
    ports.push(media);
    const job = newJob(media, { format });
    participant(media, 'alice', 'VP8').forEach((t) => job.addTrack(t));
    await job.start();
    await waitFor(() => job.progress.durationSeconds >= 2.5 || `${job.state} ${job.progress.durationSeconds} s`, 20000, 'first segment');
    participant(media, 'bob', 'VP8', 660).forEach((t) => job.addTrack(t));
    await waitFor(() => media.createdCount >= 6 || `${media.createdCount} consumers`, 10000, 'second layout');
    await waitFor(() => job.progress.durationSeconds >= 5.5 || `${job.progress.durationSeconds} s`, 20000, 'second segment');
    const ended = await job.stop();

    expect(ended.state).toBe('complete');
    expect(ended.files).toHaveLength(1);
    const result = await probe(ended.files[0]?.path ?? '', { countFrames: true });
    expectPlayable(result, codecs, 4.5);
  });
});

describe('start and stop', () => {
  it('fails with a clear reason when no track comes', async () => {
    const job = newJob(new RtpSourceMediaPort(), { startTimeoutSeconds: 1 });
    const ended = new Promise<EgressJobEvents['ended']>((resolve) => job.once('ended', resolve));
    await job.start();
    expect(job.state).toBe('starting');
    const result = await ended;
    expect(result).toMatchObject({ state: 'failed', reason: 'start_timeout', files: [] });
    expect(result.error).toMatch(/no track was published within 1 s/);
  });

  it('fails when tracks exist but no media arrives', async () => {
    const media = new RtpSourceMediaPort();
    ports.push(media);
    // A consumer whose "producer" never sends: resume does nothing.
    media.resumeConsumer = async () => undefined;
    const job = newJob(media, { startTimeoutSeconds: 3 });
    participant(media, 'mute', undefined).forEach((t) => job.addTrack(t));
    await job.start();
    const ended = await new Promise<EgressJobEvents['ended']>((resolve) => job.once('ended', resolve));
    expect(ended).toMatchObject({ state: 'failed', reason: 'start_timeout' });
    expect(ended.error).toMatch(/no media arrived from 1 track/);
    expect(media.openConsumers).toBe(0);
  });

  it('says why when a track cannot be consumed', async () => {
    const media = new RtpSourceMediaPort();
    ports.push(media);
    media.createPlainConsumer = async () => {
      throw new Error('Track not found');
    };
    const job = newJob(media, { startTimeoutSeconds: 1 });
    participant(media, 'gone', undefined).forEach((t) => job.addTrack(t));
    await job.start();
    const ended = await new Promise<EgressJobEvents['ended']>((resolve) => job.once('ended', resolve));
    expect(ended).toMatchObject({ state: 'failed', reason: 'start_timeout' });
    expect(ended.error).toBe('no track was published within 1 s (last error: Track not found)');
  });

  it('takes other ports when one is grabbed between the check and ffmpeg binding it', async () => {
    const media = new RtpSourceMediaPort();
    ports.push(media);
    const thief = createSocket('udp4');
    const create = media.createPlainConsumer.bind(media);
    let stolen = 0;
    media.createPlainConsumer = async (request) => {
      if (!stolen) {
        stolen = request.remoteRtpPort;
        await new Promise<void>((resolve) => thief.bind(request.remoteRtpPort, '127.0.0.1', resolve));
      }
      return create(request);
    };
    try {
      const job = newJob(media, { composite: false });
      participant(media, 'alice', undefined).forEach((t) => job.addTrack(t));
      const ended = await recordFor(job, 2);
      expect(stolen).toBeGreaterThan(0);
      expect(media.createdCount).toBe(2); // the consumer was made again toward new ports
      expect(ended.state).toBe('complete');
      expect((await probe(ended.files[0]?.path ?? '', { countFrames: true })).durationSeconds).toBeGreaterThan(1.5);
    } finally {
      thief.close();
    }
  });

  it('stops by itself when the room closes, keeping what was recorded', async () => {
    const media = new RtpSourceMediaPort();
    ports.push(media);
    const job = newJob(media, { composite: false });
    participant(media, 'alice', undefined).forEach((t) => job.addTrack(t));
    await job.start();
    await waitFor(() => job.progress.durationSeconds >= 1 || job.state, 20000, 'media');
    const ended = await job.roomClosed();
    expect(ended).toMatchObject({ state: 'complete', reason: 'room_closed' });
    expect(ended.files).toHaveLength(1);
    expect(job.state).toBe('complete');
    await expect(job.stop()).resolves.toBe(ended);
  });

  it('a stop ends the file cleanly even when no packet comes any more (RTCP BYE, not signals)', async () => {
    const media = new RtpSourceMediaPort();
    ports.push(media);
    const [camera] = participant(media, 'bob', 'VP8');
    const output = join(dir, 'silent-input.webm');
    const pipeline = new Pipeline({
      name: 'silent-input',
      holder: 'test',
      roomId,
      tracks: [camera as EgressTrack],
      media,
      listenIp: '127.0.0.1',
      workDir: dir,
      build: (inputs, sdpPath) => trackCommand({ sdpPath, listenIp: '127.0.0.1', input: inputs[0]!, container: 'webm', output }),
    });
    await pipeline.open();
    const ffmpeg = await pipeline.run();
    await waitFor(() => (ffmpeg.lastStats?.timeSeconds ?? 0) >= 2 || `${ffmpeg.lastStats?.timeSeconds} s`, 20000, 'media');
    // The producer is paused or gone: ffmpeg waits in a read that 'q' and one SIGINT cannot end.
    await media.silence();
    const exit = await pipeline.close();
    // Exit 0: ffmpeg saw its input end and wrote the trailer itself (a second SIGINT would have cut it).
    expect(exit).toMatchObject({ code: 0, signal: null, clean: true, requested: true });
    expectPlayable(await probe(output, { countFrames: true }), ['vp8'], 1.5);
    expect(media.openConsumers).toBe(0);
  });

  it('stopped while starting: complete, no files, no ffmpeg left', async () => {
    const job = newJob(new RtpSourceMediaPort(), {});
    await job.start();
    const ended = await job.stop();
    expect(ended).toMatchObject({ state: 'complete', reason: 'stopped', files: [] });
    expect(liveChildren()).toEqual([]);
  });
});

describe('ffmpeg killed mid-recording', () => {
  async function killFfmpeg(): Promise<number> {
    const pids = liveChildren();
    expect(pids.length).toBeGreaterThan(0);
    const pid = pids[0] as number;
    process.kill(pid, 'SIGKILL');
    return pid;
  }

  it("policy 'fail': the job fails with the reason and the partial file plays", async () => {
    const media = new RtpSourceMediaPort();
    ports.push(media);
    const job = newJob(media, { format: 'mp4', onFfmpegExit: 'fail' });
    participant(media, 'alice', 'H264').forEach((t) => job.addTrack(t));
    await job.start();
    await waitFor(() => job.progress.durationSeconds >= 3 || `${job.state} ${job.progress.durationSeconds}`, 20000, 'media');
    await killFfmpeg();
    const ended = await new Promise<EgressJobEvents['ended']>((resolve) => job.once('ended', resolve));

    expect(ended.state).toBe('failed');
    expect(ended.reason).toBe('ffmpeg_exited');
    expect(ended.error).toMatch(/killed by SIGKILL/);
    expect(ended.files).toHaveLength(1);
    const result = await probe(ended.files[0]?.path ?? '', { countFrames: true });
    expectPlayable(result, ['h264', 'aac'], 1.5);
  });

  it("policy 'restart': ffmpeg is restarted and the file spans both runs", async () => {
    const media = new RtpSourceMediaPort();
    ports.push(media);
    const job = newJob(media, { format: 'webm', composite: false, onFfmpegExit: 'restart' });
    const [camera] = participant(media, 'alice', 'VP8');
    job.addTrack(camera as EgressTrack);
    await job.start();
    await waitFor(() => job.progress.durationSeconds >= 2.5 || `${job.progress.durationSeconds}`, 20000, 'media');
    const killed = await killFfmpeg();
    await waitFor(() => (liveChildren().length === 1 && !liveChildren().includes(killed)) || `${liveChildren()}`, 10000, 'restart');
    await waitFor(() => job.progress.durationSeconds >= 6 || `${job.progress.durationSeconds}`, 20000, 'more media');
    expect(job.state).toBe('active');
    const ended = await job.stop();

    expect(ended.state).toBe('complete');
    expect(ended.files).toHaveLength(1);
    // ~2.5 s before the kill (less what ffmpeg had not flushed) + >= 3.5 s after the restart.
    expectPlayable(await probe(ended.files[0]?.path ?? '', { countFrames: true }), ['vp8'], 4.5);
  });
});
