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

/** A track being consumed: its consume answer, and who waits for the consumer to be resumed. */
interface PendingConsume {
  sub: Subscription;
  answer: Promise<ResponseData<'consume'>>;
  done: () => void;
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
  /** The consumes asked for in the current tick (see consume). */
  #batch?: PendingConsume[];

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

  /**
   * `requested`: the consume request, already sent before this transport existed (see RoomCall).
   * Tracks asked for in the same tick are created together once all their answers are in:
   * mediasoup-client then negotiates them in one SDP round instead of one after another, so the
   * video of a newcomer's first participant does not wait behind its audio.
   */
  consume(info: TrackInfo, requested?: Promise<ResponseData<'consume'>>): Promise<void> {
    if (this.#subs.has(info.producerId)) return Promise.resolve();
    const sub: Subscription = { info };
    this.#subs.set(info.producerId, sub);
    const answer = requested ?? this.#sig.request('consume', { producerId: info.producerId });
    let batch = this.#batch;
    if (!batch) {
      const started: PendingConsume[] = [];
      batch = this.#batch = started;
      queueMicrotask(() => {
        this.#batch = undefined;
        void this.#createConsumers(started);
      });
    }
    return new Promise((done) => batch.push({ sub, answer, done }));
  }

  async #createConsumers(batch: PendingConsume[]): Promise<void> {
    const answers = await Promise.allSettled(batch.map((p) => p.answer));
    // Created in one synchronous loop: mediasoup-client batches the consume() calls of one tick.
    const created = batch.map(({ sub }, i) => {
      const answer = answers[i]!;
      if (answer.status === 'rejected') return Promise.reject(answer.reason);
      // Unpublished while we were asking.
      if (this.#subs.get(sub.info.producerId) !== sub) return Promise.resolve(undefined);
      const params = answer.value;
      return this.#transport.consume({
        id: params.id,
        producerId: params.producerId,
        kind: params.kind,
        // mediasoup validated these on the server; the schema keeps them opaque.
        rtpParameters: params.rtpParameters as RtpParameters,
        appData: { participantId: sub.info.participantId, source: sub.info.source },
      });
    });
    await Promise.all(
      batch.map(async ({ sub, done }, i) => {
        try {
          const consumer = await created[i]!;
          if (consumer) this.#started(sub, consumer);
        } catch (err) {
          if (this.#subs.get(sub.info.producerId) === sub) this.#subs.delete(sub.info.producerId);
          console.warn(`consume ${sub.info.source} of ${sub.info.identity} failed`, err);
        }
        done();
      }),
    );
  }

  /** A consumer exists in the browser: show it and let the server send (the resume asks for a key frame). */
  #started(sub: Subscription, consumer: Consumer): void {
    const { info } = sub;
    sub.consumer = consumer;
    if (consumer.kind === 'video') {
      if (!consumer.track.muted) this.#onVideoFlowing();
      else consumer.track.addEventListener('unmute', () => this.#onVideoFlowing(), { once: true });
    }
    this.#view.attachTrack(info.participantId, info.source, consumer.track);
    // Done once the resume is on its way: what the caller sends next is handled after it.
    this.#sig.request('resumeConsumer', { consumerId: consumer.id }).catch((err: unknown) => console.warn(`resume ${info.source} of ${info.identity} failed`, err));
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
