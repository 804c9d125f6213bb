import type { Consumer, RtpParameters, Transport } from 'mediasoup-client/lib/types';
import type { TrackSource } from '../../schemas/media';
import type { ResponseData, TrackInfo } from '../../schemas/signaling';
import type { SignalingClient } from './signaling';

/**
 * Remote tracks: one Consumer per producer, created paused on the server, resumed once the
 * browser has attached it, so no keyframe is lost before the decoder exists.
 */

export interface SubscriberView {
  attachTrack(participantId: string, source: TrackSource, track: MediaStreamTrack): void;
  detachTrack(participantId: string, source: TrackSource): void;
}

interface Subscription {
  info: TrackInfo;
  consumer?: Consumer;
}

export interface InboundStats {
  videoFramesDecoded: number;
  videoBytes: number;
  audioPackets: number;
  audioBytes: number;
}

export class Subscriber {
  readonly #sig: SignalingClient;
  readonly #transport: Transport;
  readonly #view: SubscriberView;
  /** By producer id; an entry exists from the moment consuming starts, so a track is consumed once. */
  readonly #subs = new Map<string, Subscription>();
  /** Resolves when the first remote video packets arrive (a consumer's track unmutes). */
  readonly #videoFlowing: Promise<void>;
  #onVideoFlowing!: () => void;

  constructor(sig: SignalingClient, transport: Transport, view: SubscriberView) {
    this.#sig = sig;
    this.#transport = transport;
    this.#view = view;
    this.#videoFlowing = new Promise((resolve) => (this.#onVideoFlowing = resolve));
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      sig.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
  }

  get transport(): Transport {
    return this.#transport;
  }

  /** `requested`: the consume request, already sent before this transport existed (see RoomCall). */
  async consume(info: TrackInfo, requested?: Promise<ResponseData<'consume'>>): Promise<void> {
    if (this.#subs.has(info.producerId)) return;
    const sub: Subscription = { info };
    this.#subs.set(info.producerId, sub);
    try {
      const params = await (requested ?? this.#sig.request('consume', { producerId: info.producerId }));
      if (this.#subs.get(info.producerId) !== sub) {
        // Unpublished while we were asking.
        return;
      }
      const consumer = await this.#transport.consume({
        id: params.id,
        producerId: params.producerId,
        kind: params.kind,
        // mediasoup validated these on the server; the schema keeps them opaque.
        rtpParameters: params.rtpParameters as RtpParameters,
        appData: { participantId: info.participantId, source: info.source },
      });
      sub.consumer = consumer;
      if (consumer.kind === 'video') {
        if (!consumer.track.muted) this.#onVideoFlowing();
        else consumer.track.addEventListener('unmute', () => this.#onVideoFlowing(), { once: true });
      }
      this.#view.attachTrack(info.participantId, info.source, consumer.track);
      // Done once the resume is on its way: what the caller sends next is handled after it.
      this.#sig.request('resumeConsumer', { consumerId: consumer.id }).catch((err: unknown) => console.warn(`resume ${info.source} of ${info.identity} failed`, err));
    } catch (err) {
      this.#subs.delete(info.producerId);
      console.warn(`consume ${info.source} of ${info.identity} failed`, err);
    }
  }

  /** Resolves once remote video flows, or after `timeoutMs` (nothing to wait for, or it never came). */
  videoFlowing(timeoutMs: number): Promise<void> {
    return Promise.race([this.#videoFlowing, new Promise<void>((resolve) => setTimeout(resolve, timeoutMs))]);
  }

  removeProducer(producerId: string): void {
    const sub = this.#subs.get(producerId);
    if (!sub) return;
    this.#subs.delete(producerId);
    sub.consumer?.close();
    this.#view.detachTrack(sub.info.participantId, sub.info.source);
  }

  removeConsumer(consumerId: string): void {
    for (const [producerId, sub] of this.#subs) if (sub.consumer?.id === consumerId) this.removeProducer(producerId);
  }

  removeParticipant(participantId: string): void {
    for (const [producerId, sub] of this.#subs) if (sub.info.participantId === participantId) this.removeProducer(producerId);
  }

  /** Inbound media per remote identity, read from each consumer's RTCRtpReceiver. */
  async stats(): Promise<Record<string, InboundStats>> {
    const byIdentity: Record<string, InboundStats> = {};
    await Promise.all(
      [...this.#subs.values()].map(async ({ info, consumer }) => {
        if (!consumer || consumer.closed) return;
        const entry = (byIdentity[info.identity] ??= { videoFramesDecoded: 0, videoBytes: 0, audioPackets: 0, audioBytes: 0 });
        const report = await consumer.getStats();
        report.forEach((s: { type: string; kind?: string; framesDecoded?: number; packetsReceived?: number; bytesReceived?: number }) => {
          if (s.type !== 'inbound-rtp') return;
          if (s.kind === 'video') {
            entry.videoFramesDecoded += s.framesDecoded ?? 0;
            entry.videoBytes += s.bytesReceived ?? 0;
          } else if (s.kind === 'audio') {
            entry.audioPackets += s.packetsReceived ?? 0;
            entry.audioBytes += s.bytesReceived ?? 0;
          }
        });
      }),
    );
    return byIdentity;
  }

  /** Totals over the whole receive transport (one RTCPeerConnection). */
  async totals(): Promise<{ inboundVideoFramesDecoded: number; inboundAudioPackets: number; inboundBytes: number }> {
    const out = { inboundVideoFramesDecoded: 0, inboundAudioPackets: 0, inboundBytes: 0 };
    const report = await this.#transport.getStats();
    report.forEach((s: { type: string; kind?: string; framesDecoded?: number; packetsReceived?: number; bytesReceived?: number }) => {
      if (s.type !== 'inbound-rtp') return;
      out.inboundBytes += s.bytesReceived ?? 0;
      if (s.kind === 'video') out.inboundVideoFramesDecoded += s.framesDecoded ?? 0;
      if (s.kind === 'audio') out.inboundAudioPackets += s.packetsReceived ?? 0;
    });
    return out;
  }

  get count(): number {
    return this.#subs.size;
  }

  close(): void {
    for (const sub of this.#subs.values()) sub.consumer?.close();
    this.#subs.clear();
    this.#transport.close();
  }
}
