import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { MediaNode, type MediaNodeOptions } from '../../media';
import { freeUdpPortRange } from '../helpers/ports';
import { workerBin } from '../helpers/worker';

/** Shared by the media integration tests: a node on free ports, ffmpeg senders, RTP sinks. */

export type StartedNode = { node: MediaNode; webRtcServerPort: number };

export async function startNode(options: Partial<MediaNodeOptions> = {}): Promise<StartedNode> {
  const numWorkers = options.numWorkers ?? 1;
  const webRtc = await freeUdpPortRange(numWorkers);
  const rtc = await freeUdpPortRange(40);
  const webRtcServerPort = options.webRtcServerPort ?? webRtc.min;
  const node = await MediaNode.create({
    workerBin: workerBin(),
    numWorkers,
    listenIp: '127.0.0.1',
    announcedIp: '127.0.0.1',
    webRtcServerPort,
    rtcMinPort: rtc.min,
    rtcMaxPort: rtc.max,
    logLevel: 'error',
    ...options,
  });
  return { node, webRtcServerPort };
}

/**
 * Polls `check` until it returns true; on timeout fails with the last reason `check` gave
 * (a string return means "not yet, because ...").
 */
export async function waitFor(check: () => true | string | Promise<true | string>, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let reason = 'never checked';
  while (Date.now() < deadline) {
    const result = await check();
    if (result === true) return;
    reason = result;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${reason}`);
}

export type RtpSink = {
  socket: Socket;
  port: number;
  /** RTP packets seen, by payload type. */
  packets: Map<number, number>;
  bytes: number;
  close(): Promise<void>;
};

/** A UDP socket on 127.0.0.1 counting RTP packets per payload type. */
export async function rtpSink(): Promise<RtpSink> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const sink: RtpSink = {
    socket,
    port: socket.address().port,
    packets: new Map(),
    bytes: 0,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (msg) => {
    // RTP version 2, payload type in the low 7 bits of byte 1.
    if (msg.length < 12 || msg[0] >> 6 !== 2) return;
    const pt = msg[1] & 0x7f;
    sink.packets.set(pt, (sink.packets.get(pt) ?? 0) + 1);
    sink.bytes += msg.length;
  });
  return sink;
}

export type Ffmpeg = { process: ChildProcess; stderr: () => string; stop(): Promise<void> };

export function startFfmpeg(args: string[]): Ffmpeg {
  const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  return {
    process: child,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

export const VP8_PT = 96;
export const OPUS_PT = 111;

/** ffmpeg arguments sending a VP8 test pattern to one RTP/RTCP port pair. */
export function vp8Args(ssrc: number, ip: string, rtpPort: number, rtcpPort: number): string[] {
  return [
    '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15',
    '-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', '15',
    '-ssrc', String(ssrc), '-payload_type', String(VP8_PT),
    '-f', 'rtp', `rtp://${ip}:${rtpPort}?rtcpport=${rtcpPort}&pkt_size=1200`,
  ];
}

/** ffmpeg arguments sending an Opus tone to one RTP/RTCP port pair. */
export function opusArgs(ssrc: number, ip: string, rtpPort: number, rtcpPort: number): string[] {
  return [
    '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-map', '0:a', '-c:a', 'libopus', '-ac', '2', '-ar', '48000', '-b:a', '64k',
    '-ssrc', String(ssrc), '-payload_type', String(OPUS_PT),
    '-f', 'rtp', `rtp://${ip}:${rtpPort}?rtcpport=${rtcpPort}&pkt_size=1200`,
  ];
}

export const vp8RtpParameters = (ssrc: number) => ({
  codecs: [{ mimeType: 'video/VP8', payloadType: VP8_PT, clockRate: 90000 }],
  encodings: [{ ssrc }],
});

export const opusRtpParameters = (ssrc: number) => ({
  codecs: [{ mimeType: 'audio/opus', payloadType: OPUS_PT, clockRate: 48000, channels: 2 }],
  encodings: [{ ssrc }],
});
