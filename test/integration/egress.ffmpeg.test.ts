import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardedFfmpegPath, liveChildren } from '../../egress/children';
import { trackCommand } from '../../egress/commands';
import { FfmpegProcess } from '../../egress/FfmpegProcess';
import { finalizeRecording } from '../../egress/finalize';
import { allocatePortPairs, releasePorts } from '../../egress/ports';
import { probe } from '../../egress/probe';
import type { FfmpegStats } from '../../egress/progress';
import { buildSdp } from '../../egress/sdp';
import { RtpSource, rtpParametersFor } from '../helpers/rtpSource';
import { waitFor } from './media.helpers';

/** FfmpegProcess against real ffmpeg: progress, exits and their reasons, stopping, no orphans. */
jest.setTimeout(60000);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-ffmpeg-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  expect(liveChildren()).toEqual([]);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return true;
}

async function zombieOrGone(pid: number): Promise<boolean> {
  if (!alive(pid)) return true;
  // Reparented to a PID 1 that does not reap (containers): dead, but still listed as a zombie.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || / Z /.test(stat);
}

it('reports progress, and stops cleanly even when its RTP input has gone silent', async () => {
  const [ports] = await allocatePortPairs(1, '127.0.0.1');
  if (!ports) throw new Error('no ports');
  const sdpPath = join(dir, 'silent.sdp');
  await writeFile(sdpPath, buildSdp({ ip: '127.0.0.1', tracks: [{ kind: 'video', rtpParameters: rtpParametersFor('VP8', 101, 4242), ...ports }] }));
  const output = join(dir, 'silent.webm');
  const ffmpeg = new FfmpegProcess({ spec: trackCommand({ sdpPath, listenIp: '127.0.0.1', input: { kind: 'video', codec: 'VP8' }, container: 'webm', output }), stopTimeoutMs: 5000 });
  const stats: FfmpegStats[] = [];
  ffmpeg.on('progress', (s) => stats.push(s));
  await ffmpeg.start();
  const source = new RtpSource({ kind: 'video', codec: 'VP8', payloadType: 101, ssrc: 4242, ...ports });
  try {
    await waitFor(() => (stats.at(-1)?.timeSeconds ?? 0) >= 2 || `${JSON.stringify(stats.at(-1))}`, 15000, 'progress');
    expect(stats.at(-1)?.frames).toBeGreaterThan(15);
    // The sender stops (a paused producer): 'q' and a first SIGINT are not seen until a packet comes.
    await source.stop();
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const exit = await ffmpeg.stop();
    expect(Date.now() - started).toBeLessThan(4500); // second SIGINT at 2 s, not SIGKILL at 5 s
    expect(exit.signal).toBeNull();
    expect(exit.requested).toBe(true);
    const result = await finalizeRecording(output, exit.clean);
    expect(result.streams[0]?.codecName).toBe('vp8');
    expect(result.durationSeconds).toBeGreaterThan(1.5);
  } finally {
    await source.stop();
    releasePorts([ports]);
  }
});

it('explains a failed start, and an ffmpeg that dies', async () => {
  const missing = new FfmpegProcess({ ffmpegPath: '/nonexistent/ffmpeg', spec: { inputs: [{ args: [], source: 'x' }], outputArgs: [], output: join(dir, 'x.webm') } });
  await expect(missing.start().then(() => missing.exited())).resolves.toMatchObject({ clean: false, requested: false });
  expect(missing.exitInfo?.reason).toMatch(/nonexistent|No such file|could not/i);

  const bad = new FfmpegProcess({ spec: { inputs: [{ args: ['-f', 'lavfi'], source: 'nosuchfilter=x' }], outputArgs: ['-f', 'null'], output: '-' } });
  await bad.start();
  const exit = await bad.exited();
  expect(exit.code).not.toBe(0);
  expect(exit.reason).toMatch(/exited with code \d+: .*nosuchfilter|No such filter/);
});

it('redacts stream keys from its command line and log', async () => {
  const logged: string[] = [];
  const key = 'very-secret-key-1';
  const ffmpeg = new FfmpegProcess({
    spec: { inputs: [{ args: ['-re', '-f', 'lavfi'], source: 'sine' }], outputArgs: ['-t', '0.2', '-f', 'flv'], output: `rtmp://127.0.0.1:1/live/${key}` },
    secrets: [key],
    log: (_level, message) => logged.push(message),
  });
  expect(ffmpeg.commandLine).toContain('rtmp://127.0.0.1:1/live/****');
  await ffmpeg.start();
  const exit = await ffmpeg.exited();
  expect(exit.code).not.toBe(0); // nothing listens on port 1
  expect(exit.reason).toMatch(/Connection refused/);
  expect([exit.reason, ...logged, ...ffmpeg.recentLog()].join('\n')).not.toContain(key);
  expect(logged.join('\n')).toContain('live/****');
});

it('no ffmpeg outlives a SIGKILLed parent (PR_SET_PDEATHSIG via setpriv)', async () => {
  const wrapper = guardedFfmpegPath('ffmpeg');
  expect(wrapper).not.toBe('ffmpeg'); // setpriv exists on Debian (util-linux)
  const script = `
    const child = require('child_process').spawn(${JSON.stringify(wrapper)},
      ['-hide_banner', '-re', '-f', 'lavfi', '-i', 'sine', '-f', 'null', '-'], { stdio: 'ignore' });
    console.log(child.pid);
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve) => parent.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  await waitFor(async () => (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).startsWith('ffmpeg') || 'not exec-ed yet', 5000, 'ffmpeg');
  expect(alive(pid)).toBe(true);
  parent.kill('SIGKILL');
  await waitFor(async () => (await zombieOrGone(pid)) || `ffmpeg ${pid} still running`, 5000, 'ffmpeg to die with its parent');
});

it('lines audio and video up by the senders\' RTCP sender reports, not by arrival', async () => {
  const [audioPorts, videoPorts] = await allocatePortPairs(2, '127.0.0.1');
  if (!audioPorts || !videoPorts) throw new Error('no ports');
  const sdpPath = join(dir, 'sync.sdp');
  await writeFile(
    sdpPath,
    buildSdp({
      ip: '127.0.0.1',
      tracks: [
        { kind: 'audio', rtpParameters: rtpParametersFor('opus', 100, 5001), ...audioPorts },
        { kind: 'video', rtpParameters: rtpParametersFor('VP8', 101, 5002), ...videoPorts },
      ],
    }),
  );
  const output = join(dir, 'sync.mkv');
  const spec = trackCommand({ sdpPath, listenIp: '127.0.0.1', input: { kind: 'video', codec: 'VP8' }, container: 'webm', output });
  // Both streams, copied, into one file: where each lands on the timeline is what ffmpeg made of it.
  spec.outputArgs = ['-map', '0:0', '-map', '0:1', '-c', 'copy', '-f', 'matroska'];
  const ffmpeg = new FfmpegProcess({ spec });
  const stats: FfmpegStats[] = [];
  ffmpeg.on('progress', (s) => stats.push(s));
  await ffmpeg.start();
  const video = new RtpSource({ kind: 'video', codec: 'VP8', payloadType: 101, ssrc: 5002, ...videoPorts });
  // The audio sender starts 1.5 s later on the same (wall) clock: its SRs say so.
  await new Promise((r) => setTimeout(r, 1500));
  const audio = new RtpSource({ kind: 'audio', codec: 'opus', payloadType: 100, ssrc: 5001, ...audioPorts });
  try {
    await waitFor(() => (stats.at(-1)?.timeSeconds ?? 0) >= 3 || `${JSON.stringify(stats.at(-1))}`, 15000, 'media');
    await ffmpeg.stop();
    const result = await probe(output);
    const start = (type: string) => result.streams.find((s) => s.codecType === type)?.startSeconds ?? NaN;
    // Arrival-based timing would start both at 0; the SR timeline keeps the 1.5 s gap.
    expect(start('audio') - start('video')).toBeGreaterThan(1.2);
    expect(start('audio') - start('video')).toBeLessThan(1.9);
  } finally {
    await Promise.all([video.stop(), audio.stop()]);
    releasePorts([audioPorts, videoPorts]);
  }
});
