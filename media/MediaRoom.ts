import type { types as ms } from 'mediasoup';
import { CascadeError } from '../schemas/errors';
import type { ConsumerId, ParticipantId, ProducerId, RoomId, TransportId } from '../schemas/ids';
import type {
  ConsumerParams,
  DataConsumerParams,
  Direction,
  MediaCloseReason,
  MediaKind,
  MediaRequest,
  Opaque,
  TrackSource,
  TransportParams,
} from '../schemas/media';
import type { MediaNodeEvents, RoomMediaStats } from './MediaNodeTypes';
import { RoomLinks } from './MediaRoomLinks';
import { RoomData } from './RoomData';
import { rtpStreamStats, transportStats } from './stats';
import type { PooledWorker } from './WorkerPoolTypes';

export type TransportAppData = {
  roomId: string;
  participantId: string;
  type: 'webrtc' | 'plain' | 'pipe';
  direction?: Direction;
  remoteNodeId?: string;
};
export type ProducerAppData = { participantId: string; source: TrackSource; piped: boolean };
/** remoteNodeId is set on pipe consumers: they feed that node, not a participant. */
export type ConsumerAppData = { participantId: string; transportId: string; remoteNodeId?: string };

export type MediaRoomOptions = {
  roomId: RoomId;
  worker: PooledWorker;
  mediaCodecs: ms.RtpCodecCapability[];
  listenIp: ms.TransportListenIp;
  enableTcp: boolean;
  initialOutgoingBitrate: number;
  activeSpeakerIntervalMs: number;
  maxDataMessageBytes: number;
  emit: <K extends keyof MediaNodeEvents & string>(event: K, payload: MediaNodeEvents[K]) => void;
  /** Called once when the router closes, whatever closed it. */
  onClosed: (room: MediaRoom) => void;
};

type Transport = ms.Transport<TransportAppData>;

/** Least time between two key frame requests a mirrored producer sends back to its origin. */
const MIRROR_KEY_FRAME_REQUEST_DELAY_MS = 1000;

/**
 * One room on one node: its router (on one worker), active speaker observer, and every
 * transport, producer and consumer in it, keyed by id. Objects leave the maps through their
 * observer 'close' event, whichever way they closed, so the maps never hold a closed object.
 * Plain (egress) and pipe (cascade) transports live in MediaRoomLinks.ts on top of the
 * track* methods here.
 */
export class MediaRoom {
  readonly roomId: RoomId;
  /** Plain (egress) and pipe (cascade) transports of this room. */
  readonly links: RoomLinks = new RoomLinks(this);
  /** Data messages: uplinks, downlinks and the room's DirectTransport. */
  readonly data: RoomData;
  readonly #options: MediaRoomOptions;
  readonly #worker: PooledWorker;
  readonly #router: ms.Router;
  readonly #speakers: ms.ActiveSpeakerObserver;
  readonly #transports = new Map<string, Transport>();
  readonly #producers = new Map<string, ms.Producer<ProducerAppData>>();
  readonly #consumers = new Map<string, ms.Consumer<ConsumerAppData>>();
  /** Set by the node while it shuts down: nothing is reported then. */
  #silent = false;

  static async create(options: MediaRoomOptions): Promise<MediaRoom> {
    const router = await options.worker.worker.createRouter({ mediaCodecs: options.mediaCodecs, appData: { roomId: options.roomId } });
    try {
      const speakers = await router.createActiveSpeakerObserver({ interval: options.activeSpeakerIntervalMs });
      return new MediaRoom(options, router, speakers);
    } catch (error) {
      router.close();
      throw error;
    }
  }

  private constructor(options: MediaRoomOptions, router: ms.Router, speakers: ms.ActiveSpeakerObserver) {
    this.roomId = options.roomId;
    this.#options = options;
    this.#worker = options.worker;
    this.#router = router;
    this.#speakers = speakers;
    this.data = new RoomData({
      roomId: options.roomId,
      router,
      maxPayloadBytes: options.maxDataMessageBytes,
      report: (event, payload) => this.#report(event, payload),
    });
    speakers.on('dominantspeaker', ({ producer }) => {
      const appData = producer.appData as ProducerAppData;
      // Piped audio takes part in the election so every node sees the same loudest speaker,
      // but only the producer's own node reports it: one event per change across the cluster.
      if (appData.piped || this.#silent) return;
      this.#options.emit('activeSpeaker', { roomId: this.roomId, producerId: producer.id, participantId: appData.participantId });
    });
    router.observer.once('close', () => this.#options.onClosed(this));
  }

  get closed(): boolean {
    return this.#router.closed;
  }

  /** True once the router's worker has died (the room is gone with it). */
  get workerDied(): boolean {
    return this.#worker.worker.died;
  }

  get workerPid(): number {
    return this.#worker.pid;
  }

  get router(): ms.Router {
    return this.#router;
  }

  get listenIp(): ms.TransportListenIp {
    return this.#options.listenIp;
  }

  get counts(): { transports: number; producers: number; consumers: number } {
    return { transports: this.#transports.size, producers: this.#producers.size, consumers: this.#consumers.size };
  }

  transport(id: string): Transport | undefined {
    return this.#transports.get(id);
  }

  producer(id: string): ms.Producer<ProducerAppData> | undefined {
    return this.#producers.get(id);
  }

  consumer(id: string): ms.Consumer<ConsumerAppData> | undefined {
    return this.#consumers.get(id);
  }

  /** Every producer, consumer and pipe of the room with its byte counters (one getStats each). */
  async mediaStats(): Promise<RoomMediaStats> {
    const producers = [...this.#producers.values()].map(async (p) => ({
      producerId: p.id,
      participantId: p.appData.participantId,
      kind: p.kind,
      source: p.appData.source,
      piped: p.appData.piped,
      paused: p.paused,
      ...rtpStreamStats(await p.getStats(), 'inbound-rtp'),
    }));
    const consumers = [...this.#consumers.values()].map(async (c) => ({
      consumerId: c.id,
      producerId: c.producerId,
      participantId: c.appData.participantId,
      kind: c.kind,
      type: c.type,
      ...(c.appData.remoteNodeId !== undefined ? { remoteNodeId: c.appData.remoteNodeId } : {}),
      paused: c.paused,
      ...rtpStreamStats(await c.getStats(), 'outbound-rtp'),
    }));
    const pipes = [...this.#transports.values()]
      .filter((t) => t.appData.type === 'pipe')
      .map(async (t) => ({ transportId: t.id, remoteNodeId: t.appData.remoteNodeId ?? '', ...transportStats(await t.getStats()) }));
    // An object closing between the listing and its getStats rejects: report the rest.
    const settled = async <T>(list: Promise<T>[]): Promise<T[]> =>
      (await Promise.allSettled(list)).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    return { roomId: this.roomId, producers: await settled(producers), consumers: await settled(consumers), pipes: await settled(pipes) };
  }

  /** Closes the router and with it everything in the room. `silent` suppresses all events. */
  close({ silent = false }: { silent?: boolean } = {}): void {
    if (silent) this.#silent = true;
    this.#router.close();
  }

  async createWebRtcTransport(request: MediaRequest<'createWebRtcTransport'>): Promise<TransportParams> {
    const o = this.#options;
    const appData: TransportAppData = {
      roomId: this.roomId,
      participantId: request.participantId,
      type: 'webrtc',
      direction: request.direction,
    };
    const transport = await this.#router.createWebRtcTransport<TransportAppData>({
      webRtcServer: this.#worker.webRtcServer,
      enableUdp: true,
      enableTcp: o.enableTcp,
      preferUdp: true,
      initialAvailableOutgoingBitrate: o.initialOutgoingBitrate,
      enableSctp: request.sctp ?? false,
      numSctpStreams: { OS: 1024, MIS: 1024 },
      appData,
    });
    this.trackTransport(transport);
    return {
      id: transport.id as TransportId,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
      ...(transport.sctpParameters ? { sctpParameters: transport.sctpParameters } : {}),
    };
  }

  async connectTransport(request: MediaRequest<'connectTransport'>): Promise<void> {
    const transport = this.#webRtcTransport(request.transportId);
    await transport.connect({ dtlsParameters: request.dtlsParameters as ms.DtlsParameters });
  }

  async restartIce(request: MediaRequest<'restartIce'>): Promise<{ iceParameters: Opaque }> {
    const iceParameters = await this.#webRtcTransport(request.transportId).restartIce();
    return { iceParameters };
  }

  /** Creates a producer on any of the room's transports (WebRTC, plain or pipe) and tracks it. */
  async produce(
    transport: Transport,
    request: {
      kind: MediaKind;
      rtpParameters: Opaque;
      source: TrackSource;
      paused?: boolean;
      /** Pipe mirrors: the origin producer's id and participant. */
      id?: string;
      participantId?: string;
      piped?: boolean;
    },
  ): Promise<ProducerId> {
    const appData: ProducerAppData = {
      participantId: request.participantId ?? transport.appData.participantId,
      source: request.source,
      piped: request.piped ?? false,
    };
    const producer = await transport.produce<ProducerAppData>({
      ...(request.id ? { id: request.id } : {}),
      kind: request.kind,
      rtpParameters: request.rtpParameters as ms.RtpParameters,
      paused: request.paused ?? false,
      // A mirror's key frame requests travel back over the pipe to the origin; coalescing them
      // here keeps N subscribers on this node from each asking the publisher for a key frame.
      ...(appData.piped ? { keyFrameRequestDelay: MIRROR_KEY_FRAME_REQUEST_DELAY_MS } : {}),
      appData,
    });
    this.#producers.set(producer.id, producer);
    producer.observer.once('close', () => this.#producers.delete(producer.id));
    producer.on('transportclose', () => {
      if (appData.piped) return;
      this.#report('producerClosed', {
        roomId: this.roomId,
        participantId: appData.participantId,
        producerId: producer.id,
        reason: this.#cascadeReason(),
      });
    });
    if (producer.kind === 'audio') {
      // A failure here only costs speaker detection for this track; the track itself works.
      await this.#speakers.addProducer({ producerId: producer.id }).catch(() => undefined);
    }
    return producer.id as ProducerId;
  }

  /** Consumes a producer of this room on one of its transports, paused until resumeConsumer. */
  async consume(
    transport: Transport,
    producerId: string,
    rtpCapabilities: Opaque,
    appData: ConsumerAppData,
  ): Promise<ms.Consumer<ConsumerAppData>> {
    if (!this.#producers.has(producerId)) throw new CascadeError('PRODUCER_NOT_FOUND');
    const caps = rtpCapabilities as ms.RtpCapabilities;
    if (!this.#router.canConsume({ producerId, rtpCapabilities: caps })) throw new CascadeError('CANNOT_CONSUME');
    const consumer = await transport.consume<ConsumerAppData>({ producerId, rtpCapabilities: caps, paused: true, appData });
    this.trackConsumer(consumer);
    return consumer;
  }

  async consumeWebRtc(request: MediaRequest<'consume'>): Promise<ConsumerParams> {
    const transport = this.#webRtcTransport(request.transportId);
    const consumer = await this.consume(transport, request.producerId, request.rtpCapabilities, {
      participantId: transport.appData.participantId,
      transportId: transport.id,
    });
    return {
      id: consumer.id as ConsumerId,
      producerId: consumer.producerId as ProducerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      type: consumer.type,
      producerPaused: consumer.producerPaused,
    };
  }

  /** Data channel of a participant: uplink on its send transport, downlink on its recv transport. */
  async produceData(request: MediaRequest<'produceData'>): Promise<{ dataProducerId: string; maxMessageBytes: number }> {
    const transport = this.#webRtcTransport(request.transportId);
    return this.data.produceWebRtc(transport, request, transport.appData.participantId);
  }

  async consumeData(request: MediaRequest<'consumeData'>): Promise<DataConsumerParams> {
    const transport = this.#webRtcTransport(request.transportId);
    return this.data.consumeWebRtc(transport, request, transport.appData.participantId);
  }

  /** Closes every transport (and data channel) of a participant; its producers and consumers close with them. */
  closeParticipant(participantId: ParticipantId): number {
    this.data.closeParticipant(participantId);
    let closed = 0;
    for (const transport of [...this.#transports.values()]) {
      if (transport.appData.type !== 'pipe' && transport.appData.participantId === participantId) {
        transport.close();
        closed++;
      }
    }
    return closed;
  }

  trackTransport(transport: Transport): void {
    this.#transports.set(transport.id, transport);
    transport.observer.once('close', () => this.#transports.delete(transport.id));
  }

  trackConsumer(consumer: ms.Consumer<ConsumerAppData>): void {
    this.#consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => {
      this.#consumers.delete(consumer.id);
      this.#reportIdleMirror(consumer.producerId);
    });
    const closedBy = (reason: MediaCloseReason) => {
      const { remoteNodeId, participantId, transportId } = consumer.appData;
      if (remoteNodeId !== undefined) {
        this.#report('pipeConsumerClosed', {
          roomId: this.roomId,
          transportId,
          remoteNodeId,
          consumerId: consumer.id,
          producerId: consumer.producerId,
          reason,
        });
      } else {
        this.#report('consumerClosed', { roomId: this.roomId, participantId, consumerId: consumer.id, producerId: consumer.producerId, reason });
      }
    };
    consumer.on('producerclose', () => closedBy('producer_closed'));
    consumer.on('transportclose', () => closedBy(this.#cascadeReason()));
  }

  /** A mirrored producer nobody here consumes any more: the pipe feeding it can be released. */
  #reportIdleMirror(producerId: string): void {
    const producer = this.#producers.get(producerId);
    if (!producer || producer.closed || !producer.appData.piped) return;
    for (const consumer of this.#consumers.values()) if (consumer.producerId === producerId) return;
    this.#report('mirrorIdle', { roomId: this.roomId, producerId });
  }

  #webRtcTransport(transportId: string): ms.WebRtcTransport<TransportAppData> {
    const transport = this.#transports.get(transportId);
    if (!transport || transport.appData.type !== 'webrtc') throw new CascadeError('TRANSPORT_NOT_FOUND');
    return transport as ms.WebRtcTransport<TransportAppData>;
  }

  /** Why an object closed because its transport did: the transport, its router, or the worker. */
  #cascadeReason(): MediaCloseReason {
    if (this.#worker.worker.died) return 'worker_died';
    if (this.#router.closed) return 'router_closed';
    return 'transport_closed';
  }

  #report<K extends keyof MediaNodeEvents & string>(event: K, payload: MediaNodeEvents[K]): void {
    if (!this.#silent) this.#options.emit(event, payload);
  }
}
