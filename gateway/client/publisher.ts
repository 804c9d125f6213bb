import type { Device } from 'mediasoup-client';
import type { Producer, Transport } from 'mediasoup-client/lib/types';
import type { TrackSource } from '../../schemas/media';
import type { SignalingClient } from './signaling';

/**
 * Our outgoing tracks: camera (VP8, three simulcast layers), microphone and screen share, each a
 * mediasoup-client Producer on the send transport. Muting pauses the producer locally (no bytes
 * leave) and tells the server, which tells the room.
 */

/** 320x180, 640x360, 1280x720 from a 720p camera. */
const CAMERA_ENCODINGS: RTCRtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

export interface PublisherView {
  setLocalTrack(source: TrackSource, track: MediaStreamTrack | null): void;
  setLocalMuted(source: TrackSource, muted: boolean): void;
  notice(text: string): void;
}

/** Camera and microphone, or the microphone alone when the camera is refused; undefined (and reported) when both are. */
async function captureCameraAndMic(view: Pick<PublisherView, 'notice'>): Promise<MediaStream | undefined> {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } });
  } catch (err) {
    view.notice(`Camera unavailable (${(err as Error).name}); trying the microphone only`);
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err2) {
      view.notice(`Microphone unavailable too (${(err2 as Error).name}): you are receive-only`);
      return undefined;
    }
  }
}

function stopTracks(stream: MediaStream | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

export class Publisher {
  readonly #sig: SignalingClient;
  readonly #device: Device;
  readonly #transport: Transport;
  readonly #view: PublisherView;
  readonly #producers = new Map<TrackSource, Producer>();

  constructor(sig: SignalingClient, device: Device, transport: Transport, view: PublisherView) {
    this.#sig = sig;
    this.#device = device;
    this.#transport = transport;
    this.#view = view;
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      sig.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const source = appData.source as TrackSource;
      sig
        .request('produce', { transportId: transport.id, kind, rtpParameters, source })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
  }

  get transport(): Transport {
    return this.#transport;
  }

  /** Camera and microphone; whichever the browser refuses is reported and skipped. */
  async publishCameraAndMic(): Promise<void> {
    const stream = await captureCameraAndMic(this.#view);
    if (!stream) return;
    if (this.#transport.closed) {
      // The call ended while the browser was starting the camera.
      stopTracks(stream);
      return;
    }
    const video = stream.getVideoTracks()[0];
    const audio = stream.getAudioTracks()[0];
    await Promise.all([video && this.#publishCamera(video), audio && this.#publish('microphone', audio)]);
  }

  async #publishCamera(track: MediaStreamTrack): Promise<void> {
    if (!this.#device.canProduce('video')) return;
    const codec = this.#device.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'video/vp8');
    await this.#publish('camera', track, {
      encodings: CAMERA_ENCODINGS,
      codecOptions: { videoGoogleStartBitrate: 1000 },
      ...(codec ? { codec } : {}),
    });
  }

  async #publish(source: TrackSource, track: MediaStreamTrack, options: Partial<Parameters<Transport['produce']>[0]> = {}): Promise<Producer> {
    const producer = await this.#transport.produce({ track, ...options, stopTracks: true, appData: { source } });
    this.#producers.set(source, producer);
    this.#view.setLocalTrack(source, track);
    producer.on('trackended', () => void this.unpublish(source));
    return producer;
  }

  async unpublish(source: TrackSource): Promise<void> {
    const producer = this.#producers.get(source);
    if (!producer) return;
    this.#producers.delete(source);
    producer.close();
    this.#view.setLocalTrack(source, null);
    await this.#sig.request('closeProducer', { producerId: producer.id }).catch(() => undefined);
  }

  isPublished(source: TrackSource): boolean {
    return this.#producers.has(source);
  }

  isMuted(source: TrackSource): boolean {
    return this.#producers.get(source)?.paused ?? true;
  }

  async setMuted(source: TrackSource, muted: boolean): Promise<void> {
    const producer = this.#producers.get(source);
    if (!producer || producer.paused === muted) return;
    if (muted) producer.pause();
    else producer.resume();
    this.#view.setLocalMuted(source, muted);
    await this.#sig.request(muted ? 'mute' : 'unmute', { producerId: producer.id });
  }

  /** A host muted us: stop sending, as the server already marked the track muted. */
  mutedByServer(producerId: string, muted: boolean): void {
    for (const [source, producer] of this.#producers) {
      if (producer.id !== producerId || producer.paused === muted) continue;
      if (muted) producer.pause();
      else producer.resume();
      this.#view.setLocalMuted(source, muted);
    }
  }

  async startScreenShare(): Promise<void> {
    if (this.#producers.has('screen')) return;
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    await this.#publish('screen', track, { encodings: [{ maxBitrate: 2_500_000 }] });
  }

  /** Bytes and frames we send, for the test hooks. */
  async stats(): Promise<{ outboundVideoFramesEncoded: number; outboundAudioPackets: number }> {
    const out = { outboundVideoFramesEncoded: 0, outboundAudioPackets: 0 };
    const report = await this.#transport.getStats();
    report.forEach((s: { type: string; kind?: string; framesEncoded?: number; packetsSent?: number }) => {
      if (s.type !== 'outbound-rtp') return;
      if (s.kind === 'video') out.outboundVideoFramesEncoded += s.framesEncoded ?? 0;
      if (s.kind === 'audio') out.outboundAudioPackets += s.packetsSent ?? 0;
    });
    return out;
  }

  close(): void {
    for (const producer of this.#producers.values()) producer.close();
    this.#producers.clear();
    this.#transport.close();
  }
}
