import { spawn, type ChildProcess } from 'node:child_process';
import type { EgressMediaPort, PlainConsumerInfo, PlainConsumerRequest } from '../../egress/EgressMediaPort';
import type { ConsumerId, ProducerId, TransportId } from '../../schemas/ids';
import type { MediaKind } from '../../schemas/media';

/**
 * Synthetic publishers for egress tests: ffmpeg generating RTP (lavfi testsrc for video, a sine
 * for audio) toward given ports with a given payload type and SSRC, sending RTCP sender reports
 * to the RTCP port like a real sender. Small and cheap: 320x240 at 15 fps by default.
 */
export type SourceCodec = 'VP8' | 'VP9' | 'H264' | 'opus';

export interface RtpSourceOptions {
  kind: MediaKind;
  codec: SourceCodec;
  payloadType: number;
  ssrc: number;
  ip?: string;
  rtpPort: number;
  rtcpPort: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Sine frequency (Hz), to tell participants apart. */
  frequency?: number;
}

function encoderArgs(codec: SourceCodec, fps: number): string[] {
  const gop = String(fps); // a key frame a second: a late receiver decodes quickly
  switch (codec) {
    case 'VP8':
      return ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '-8', '-b:v', '300k', '-g', gop];
    case 'VP9':
      return ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1', '-b:v', '300k', '-g', gop];
    case 'H264':
      return ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', gop];
    case 'opus':
      return ['-c:a', 'libopus', '-b:a', '48k', '-ar', '48000', '-ac', '2'];
  }
}

export function rtpSourceArgs(o: RtpSourceOptions): string[] {
  const fps = o.fps ?? 15;
  const input =
    o.kind === 'video'
      ? ['-re', '-f', 'lavfi', '-i', `testsrc=size=${o.width ?? 320}x${o.height ?? 240}:rate=${fps}`]
      : ['-re', '-f', 'lavfi', '-i', `sine=frequency=${o.frequency ?? 440}:sample_rate=48000`];
  const url = `rtp://${o.ip ?? '127.0.0.1'}:${o.rtpPort}?rtcpport=${o.rtcpPort}&pkt_size=1200`;
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    ...input,
    ...encoderArgs(o.codec, fps),
    '-payload_type', String(o.payloadType),
    '-ssrc', String(o.ssrc),
    '-f', 'rtp', url,
  ];
}

export class RtpSource {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  stderr = '';

  constructor(options: RtpSourceOptions, ffmpegPath = 'ffmpeg') {
    this.#child = spawn(ffmpegPath, rtpSourceArgs(options), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (this.running) this.#child.kill('SIGKILL');
    await this.#exited;
  }
}

/** mediasoup-shaped RtpParameters for what an RtpSource sends. */
export function rtpParametersFor(codec: SourceCodec, payloadType: number, ssrc: number): Record<string, unknown> {
  const codecs: Record<SourceCodec, Record<string, unknown>> = {
    opus: { mimeType: 'audio/opus', clockRate: 48000, channels: 2, parameters: { minptime: 10, useinbandfec: 1 } },
    VP8: { mimeType: 'video/VP8', clockRate: 90000, parameters: {} },
    VP9: { mimeType: 'video/VP9', clockRate: 90000, parameters: { 'profile-id': 0 } },
    H264: {
      mimeType: 'video/H264',
      clockRate: 90000,
      parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
    },
  };
  return {
    codecs: [{ ...codecs[codec], payloadType }],
    encodings: [{ ssrc }],
    headerExtensions: [],
    rtcp: { cname: 'egress-test', reducedSize: true },
  };
}

export interface FakeProducer {
  producerId: ProducerId;
  kind: MediaKind;
  codec: SourceCodec;
  frequency?: number;
  width?: number;
  height?: number;
  fps?: number;
}

/**
 * An EgressMediaPort with no media node: each "consumer" is an ffmpeg RtpSource that starts
 * sending to the requested ports when resumed, as a paused mediasoup consumer would. Lets the
 * egress pipeline be tested with real RTP and RTCP before (or without) a MediaNode.
 */
export class RtpSourceMediaPort implements EgressMediaPort {
  readonly producers = new Map<string, FakeProducer>();
  readonly #consumers = new Map<string, { producer: FakeProducer; request: PlainConsumerRequest; pt: number; ssrc: number; source?: RtpSource }>();
  #seq = 0;
  createdCount = 0;
  resumedCount = 0;

  addProducer(producer: FakeProducer): FakeProducer {
    this.producers.set(producer.producerId, producer);
    return producer;
  }

  async createPlainConsumer(request: PlainConsumerRequest): Promise<PlainConsumerInfo> {
    const producer = this.producers.get(request.producerId);
    if (!producer) throw new Error(`no producer ${request.producerId}`);
    const id = `consumer-${++this.#seq}`;
    const pt = producer.kind === 'audio' ? 100 : 101 + (this.#seq % 20);
    const ssrc = 10000 + this.#seq;
    this.#consumers.set(id, { producer, request, pt, ssrc });
    this.createdCount++;
    return {
      transportId: `transport-${this.#seq}` as TransportId,
      consumerId: id as ConsumerId,
      kind: producer.kind,
      rtpParameters: rtpParametersFor(producer.codec, pt, ssrc),
    };
  }

  async resumeConsumer(consumerId: ConsumerId): Promise<void> {
    const consumer = this.#consumers.get(consumerId);
    if (!consumer) throw new Error(`no consumer ${consumerId}`);
    this.resumedCount++;
    if (consumer.source?.running) return;
    const { producer, request } = consumer;
    consumer.source = new RtpSource({
      kind: producer.kind,
      codec: producer.codec,
      payloadType: consumer.pt,
      ssrc: consumer.ssrc,
      ip: request.remoteIp,
      rtpPort: request.remoteRtpPort,
      rtcpPort: request.remoteRtcpPort,
      ...(producer.frequency ? { frequency: producer.frequency } : {}),
      ...(producer.width ? { width: producer.width } : {}),
      ...(producer.height ? { height: producer.height } : {}),
      ...(producer.fps ? { fps: producer.fps } : {}),
    });
  }

  async closeConsumer(consumerId: ConsumerId): Promise<void> {
    const consumer = this.#consumers.get(consumerId);
    this.#consumers.delete(consumerId);
    await consumer?.source?.stop();
  }

  /** Stops every source but keeps the consumers: media stops flowing, as with paused producers. */
  async silence(): Promise<void> {
    await Promise.all([...this.#consumers.values()].map((c) => c.source?.stop()));
  }

  /** Consumers still open (tests assert egress closed them all). */
  get openConsumers(): number {
    return this.#consumers.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#consumers.keys()].map((id) => this.closeConsumer(id as ConsumerId)));
  }
}
