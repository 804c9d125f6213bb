import type { types as ms } from 'mediasoup';
import { CascadeError } from '../schemas/errors';
import type { ProducerId, RoomId } from '../schemas/ids';
import type { ConsumerParams, DataConsumerParams, MediaNodeStats, MediaRequest, Opaque, TransportParams } from '../schemas/media';
import { mediaCodecs } from './codecs';
import { MediaRoom, type TransportAppData } from './MediaRoom';
import {
  MEDIA_NODE_DEFAULTS,
  type ConnectPipeTransportRequest,
  type DataEndpoint,
  type MediaNodeEvents,
  type MediaNodeOptions,
  type PipeConsumeRequest,
  type PipeConsumerParams,
  type PipeProduceRequest,
  type PipeTransportParams,
  type PipeTransportRequest,
  type PlainConsumerParams,
  type PlainConsumerRequest,
  type PlainProducerParams,
  type PlainProducerRequest,
  type RoomDataStats,
  type RoomMediaStats,
  type RtpStreamStats,
  type TransportStats,
} from './MediaNodeTypes';
import { loadMediasoup } from './mediasoupLoader';
import { rtpStreamStats, transportStats } from './stats';
import { TypedEmitter } from './TypedEmitter';
import { waitForExit, withoutUndefined } from './util';
import { WorkerPool } from './WorkerPool';

type Settings = Required<Omit<MediaNodeOptions, 'announcedIp'>> & { announcedIp?: string };

/**
 * A node's whole media API: mediasoup workers, one router per room (created on the least-loaded
 * worker at the room's first request), and the transports, producers and consumers in them, all
 * addressed by string ids and answered in plain DTOs. Nothing mediasoup leaves this class.
 *
 * Errors are CascadeErrors: *_NOT_FOUND for unknown ids, CANNOT_CONSUME, and MEDIA_ERROR
 * (carrying mediasoup's message) for anything mediasoup rejects.
 */
export class MediaNode extends TypedEmitter<MediaNodeEvents> {
  readonly #settings: Settings;
  readonly #pool: WorkerPool;
  readonly #mediaCodecs: ms.RtpCodecCapability[];
  readonly #rtpCapabilities: ms.RtpCapabilities;
  readonly #rooms = new Map<string, MediaRoom>();
  /** Rooms whose router is being created: concurrent first requests share one router. */
  readonly #roomsPending = new Map<string, Promise<MediaRoom>>();
  #closing?: Promise<void>;

  static async create(options: MediaNodeOptions): Promise<MediaNode> {
    const settings: Settings = {
      ...MEDIA_NODE_DEFAULTS,
      ...withoutUndefined(options),
      workerBin: options.workerBin,
      codecs: [...(options.codecs ?? MEDIA_NODE_DEFAULTS.codecs)],
    };
    if (settings.announcedIp === undefined && (settings.listenIp === '0.0.0.0' || settings.listenIp === '::')) {
      settings.announcedIp = '127.0.0.1';
    }
    if (settings.rtcMinPort > settings.rtcMaxPort) throw new TypeError('rtcMinPort must not exceed rtcMaxPort');
    if (settings.webRtcServerPort + settings.numWorkers - 1 > 65535) throw new TypeError('webRtcServerPort + numWorkers exceeds 65535');
    const mediasoup = loadMediasoup(settings.workerBin);
    const codecs = mediaCodecs(settings.codecs);
    const pool = await WorkerPool.create({
      mediasoup,
      numWorkers: settings.numWorkers,
      logLevel: settings.logLevel,
      listenIp: settings.listenIp,
      announcedIp: settings.announcedIp,
      webRtcServerPort: settings.webRtcServerPort,
      enableTcp: settings.enableTcp,
      rtcMinPort: settings.rtcMinPort,
      rtcMaxPort: settings.rtcMaxPort,
    });
    try {
      // Routers built from the same codec list have the same capabilities (payload types are
      // assigned in order), so one probe router answers for every room.
      const probe = await (await pool.leastLoaded()).worker.createRouter({ mediaCodecs: codecs });
      const rtpCapabilities = probe.rtpCapabilities;
      probe.close();
      return new MediaNode(settings, pool, codecs, rtpCapabilities);
    } catch (error) {
      pool.close();
      throw error;
    }
  }

  private constructor(settings: Settings, pool: WorkerPool, codecs: ms.RtpCodecCapability[], caps: ms.RtpCapabilities) {
    super();
    this.#settings = settings;
    this.#pool = pool;
    this.#mediaCodecs = codecs;
    this.#rtpCapabilities = caps;
    pool.on('workerDied', ({ pid, error }) => this.#onWorkerDied(pid, error));
    pool.on('workerReplaced', ({ pid, previousPid }) => this.safeEmit('workerReplaced', { pid, previousPid }));
    pool.on('workerReplaceFailed', ({ attempt, error }) => this.safeEmit('workerReplaceFailed', { attempt, error: error.message }));
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** PIDs of the live worker processes (for monitoring, and for tests that kill one). */
  workerPids(): number[] {
    return this.#pool.pids();
  }

  getRouterRtpCapabilities(): Opaque {
    return structuredClone(this.#rtpCapabilities);
  }

  async createWebRtcTransport(request: MediaRequest<'createWebRtcTransport'>): Promise<TransportParams> {
    return this.#run(async () => (await this.#room(request.roomId)).createWebRtcTransport(request));
  }

  async connectTransport(request: MediaRequest<'connectTransport'>): Promise<void> {
    return this.#run(() => this.#roomOfTransport(request.transportId).connectTransport(request));
  }

  async restartIce(request: MediaRequest<'restartIce'>): Promise<{ iceParameters: Opaque }> {
    return this.#run(() => this.#roomOfTransport(request.transportId).restartIce(request));
  }

  /** Audio producers join the room's active speaker election. */
  async produce(request: MediaRequest<'produce'>): Promise<{ producerId: ProducerId }> {
    return this.#run(async () => {
      const room = this.#roomOfTransport(request.transportId);
      const transport = room.transport(request.transportId);
      if (transport?.appData.type !== 'webrtc') throw new CascadeError('TRANSPORT_NOT_FOUND');
      return { producerId: await room.produce(transport, request) };
    });
  }

  async closeProducer(request: MediaRequest<'closeProducer'>): Promise<void> {
    this.#producer(request.producerId).close();
  }

  async pauseProducer(request: MediaRequest<'pauseProducer'>): Promise<void> {
    return this.#run(() => this.#producer(request.producerId).pause());
  }

  async resumeProducer(request: MediaRequest<'resumeProducer'>): Promise<void> {
    return this.#run(() => this.#producer(request.producerId).resume());
  }

  /** A paused consumer: the client sets it up, then calls resumeConsumer. */
  async consume(request: MediaRequest<'consume'>): Promise<ConsumerParams> {
    return this.#run(() => this.#roomOfTransport(request.transportId).consumeWebRtc(request));
  }

  /** Resumes and asks the producer for a key frame, so video starts without waiting for one. */
  async resumeConsumer(request: MediaRequest<'resumeConsumer'>): Promise<void> {
    return this.#run(async () => {
      const consumer = this.#consumer(request.consumerId);
      await consumer.resume();
      if (consumer.kind === 'video') await consumer.requestKeyFrame();
    });
  }

  async closeConsumer(request: MediaRequest<'closeConsumer'>): Promise<void> {
    this.#consumer(request.consumerId).close();
  }

  async setConsumerPreferredLayers(request: MediaRequest<'setConsumerPreferredLayers'>): Promise<void> {
    return this.#run(() =>
      this.#consumer(request.consumerId).setPreferredLayers({
        spatialLayer: request.spatialLayer,
        ...(request.temporalLayer !== undefined ? { temporalLayer: request.temporalLayer } : {}),
      }),
    );
  }

  /** Data uplink: a DataProducer on the participant's send transport (created with sctp). */
  async produceData(request: MediaRequest<'produceData'>): Promise<{ dataProducerId: string; maxMessageBytes: number }> {
    return this.#run(() => this.#roomOfTransport(request.transportId).produceData(request));
  }

  /** Data downlink: the DataConsumer a participant's recv transport receives every message on. */
  async consumeData(request: MediaRequest<'consumeData'>): Promise<DataConsumerParams> {
    return this.#run(() => this.#roomOfTransport(request.transportId).consumeData(request));
  }

  /** A data message sent on another node: to this node's receivers in the room (none: no-op). */
  async deliverData(request: MediaRequest<'deliverData'>): Promise<void> {
    this.#rooms.get(request.roomId)?.data.deliverRemote(request);
  }

  /** A server-side data participant (bot, test stand-in for a browser) in a room on this node. */
  async openDataEndpoint(request: { roomId: RoomId; participantId: string; identity: string }): Promise<DataEndpoint> {
    return this.#run(async () => (await this.#room(request.roomId)).data.openEndpoint(request.participantId, request.identity));
  }

  async dataStats(request: { roomId: string }): Promise<RoomDataStats | undefined> {
    return this.#rooms.get(request.roomId)?.data.stats();
  }

  /**
   * Closes the participant's transports on this node; their producers and consumers close with
   * them, and consumers of its producers held by others report consumerClosed. Unknown room or
   * participant: nothing to do.
   */
  async closeParticipant(request: MediaRequest<'closeParticipant'>): Promise<void> {
    this.#rooms.get(request.roomId)?.closeParticipant(request.participantId);
  }

  /** Closes the room's router and everything in it (events carry reason 'router_closed'). */
  async closeRoom(request: MediaRequest<'closeRoom'>): Promise<void> {
    const pending = this.#roomsPending.get(request.roomId);
    if (pending) await pending.catch(() => undefined);
    const room = this.#rooms.get(request.roomId);
    this.#rooms.delete(request.roomId);
    room?.close();
  }

  stats(): MediaNodeStats {
    const stats: MediaNodeStats = { workers: this.#pool.size, rooms: this.#rooms.size, transports: 0, producers: 0, consumers: 0 };
    for (const room of this.#rooms.values()) {
      const counts = room.counts;
      stats.transports += counts.transports;
      stats.producers += counts.producers;
      stats.consumers += counts.consumers;
    }
    return stats;
  }

  /** Byte counters of every producer, consumer and pipe of one room (or of every room here). */
  async roomStats(request: { roomId?: string } = {}): Promise<RoomMediaStats[]> {
    const rooms = request.roomId !== undefined ? [this.#rooms.get(request.roomId)] : [...this.#rooms.values()];
    return this.#run(() => Promise.all(rooms.filter((room): room is MediaRoom => room !== undefined).map((room) => room.mediaStats())));
  }

  async transportStats(transportId: string): Promise<TransportStats> {
    return this.#run(async () => {
      const transport = this.#roomOfTransport(transportId).transport(transportId);
      if (!transport) throw new CascadeError('TRANSPORT_NOT_FOUND');
      return transportStats(await transport.getStats());
    });
  }

  async producerStats(producerId: string): Promise<RtpStreamStats> {
    return this.#run(async () => rtpStreamStats(await this.#producer(producerId).getStats(), 'inbound-rtp'));
  }

  async consumerStats(consumerId: string): Promise<RtpStreamStats> {
    return this.#run(async () => rtpStreamStats(await this.#consumer(consumerId).getStats(), 'outbound-rtp'));
  }

  /** Egress: RTP of one producer sent to remoteIp:ports over a PlainTransport (see RoomLinks). */
  async createPlainConsumer(request: PlainConsumerRequest): Promise<PlainConsumerParams> {
    return this.#run(() => {
      const room = this.#rooms.get(request.roomId);
      if (!room) throw new CascadeError('PRODUCER_NOT_FOUND');
      return room.links.createPlainConsumer(request);
    });
  }

  /** RTP injected by an external sender (ffmpeg) becomes a producer of the room. */
  async createPlainProducer(request: PlainProducerRequest): Promise<PlainProducerParams> {
    return this.#run(async () => (await this.#room(request.roomId)).links.createPlainProducer(request));
  }

  /** Cascade: this node's end of the room's pipe towards remoteNodeId (one per pair, cached). */
  async createPipeTransport(request: PipeTransportRequest): Promise<PipeTransportParams> {
    return this.#run(async () => (await this.#room(request.roomId)).links.createPipeTransport(request.remoteNodeId));
  }

  async connectPipeTransport(request: ConnectPipeTransportRequest): Promise<void> {
    return this.#run(() => {
      const { room, transport } = this.#pipeTransport(request.transportId);
      return room.links.connectPipeTransport(transport, request);
    });
  }

  /** Sends a local producer through a pipe; its parameters are what pipeProduce needs on the other node. */
  async pipeConsume(request: PipeConsumeRequest): Promise<PipeConsumerParams> {
    return this.#run(() => {
      const { room, transport } = this.#pipeTransport(request.transportId);
      return room.links.pipeConsume(transport, request);
    });
  }

  /** Mirrors another node's producer here under the same id, so local consumers can consume it. */
  async pipeProduce(request: PipeProduceRequest): Promise<{ producerId: ProducerId }> {
    return this.#run(async () => {
      const { room, transport } = this.#pipeTransport(request.transportId);
      return { producerId: await room.links.pipeProduce(transport, request) };
    });
  }

  /** Closes pipes towards a node (it died, or the room no longer spans it). */
  async closePipeTransports(request: MediaRequest<'closePipeTransports'>): Promise<void> {
    const rooms = request.roomId ? [this.#rooms.get(request.roomId)] : [...this.#rooms.values()];
    await Promise.all(rooms.map((room) => room?.links.closePipeTransport(request.remoteNodeId)));
  }

  /** Closes every room and worker without emitting events; resolves when the workers have exited. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    const pids = this.#pool.pids();
    for (const room of this.#rooms.values()) room.close({ silent: true });
    this.#rooms.clear();
    this.#pool.close();
    this.#closing = waitForExit(pids, 3000);
    return this.#closing;
  }

  async #room(roomId: RoomId): Promise<MediaRoom> {
    // A room created on a worker that dies before we get it back is retried on another worker.
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new CascadeError('NODE_UNAVAILABLE', 'media node is closed');
      const existing = this.#rooms.get(roomId);
      if (existing && !existing.closed) return existing;
      let pending = this.#roomsPending.get(roomId);
      if (!pending) {
        pending = this.#createRoom(roomId).finally(() => this.#roomsPending.delete(roomId));
        this.#roomsPending.set(roomId, pending);
      }
      let room: MediaRoom | undefined;
      try {
        room = await pending;
      } catch (error) {
        // The worker may have died under the request: the pool has (or will have) another.
        if (attempt >= 3 || this.closed || error instanceof CascadeError) throw error;
      }
      if (room && !room.closed) return room;
      if (attempt >= 3) throw new CascadeError('MEDIA_ERROR', `router for room ${roomId} closed while being created`);
    }
  }

  async #createRoom(roomId: RoomId): Promise<MediaRoom> {
    const s = this.#settings;
    const room = await MediaRoom.create({
      roomId,
      worker: await this.#pool.leastLoaded(),
      mediaCodecs: this.#mediaCodecs,
      listenIp: { ip: s.listenIp, ...(s.announcedIp ? { announcedIp: s.announcedIp } : {}) },
      enableTcp: s.enableTcp,
      initialOutgoingBitrate: s.initialOutgoingBitrate,
      activeSpeakerIntervalMs: s.activeSpeakerIntervalMs,
      maxDataMessageBytes: s.maxDataMessageBytes,
      emit: (event, payload) => this.safeEmit(event, payload),
      onClosed: (closed) => this.#onRoomClosed(closed),
    });
    if (this.closed) {
      room.close({ silent: true });
      throw new CascadeError('NODE_UNAVAILABLE', 'media node is closed');
    }
    this.#rooms.set(roomId, room);
    return room;
  }

  #onRoomClosed(room: MediaRoom): void {
    // A dead worker's rooms stay listed until the pool reports the death, which names them.
    if (room.workerDied) return;
    if (this.#rooms.get(room.roomId) === room) this.#rooms.delete(room.roomId);
  }

  #onWorkerDied(pid: number, error: Error): void {
    const roomIds: string[] = [];
    for (const [roomId, room] of this.#rooms) {
      if (room.workerPid !== pid) continue;
      this.#rooms.delete(roomId);
      roomIds.push(roomId);
    }
    this.safeEmit('workerDied', { pid, roomIds, error: error.message });
  }

  #roomOfTransport(transportId: string): MediaRoom {
    for (const room of this.#rooms.values()) if (room.transport(transportId)) return room;
    throw new CascadeError('TRANSPORT_NOT_FOUND');
  }

  #pipeTransport(transportId: string): { room: MediaRoom; transport: ms.PipeTransport<TransportAppData> } {
    const room = this.#roomOfTransport(transportId);
    const transport = room.transport(transportId);
    if (transport?.appData.type !== 'pipe') throw new CascadeError('TRANSPORT_NOT_FOUND');
    return { room, transport: transport as ms.PipeTransport<TransportAppData> };
  }

  #producer(producerId: string): ms.Producer {
    for (const room of this.#rooms.values()) {
      const producer = room.producer(producerId);
      if (producer) return producer;
    }
    throw new CascadeError('PRODUCER_NOT_FOUND');
  }

  #consumer(consumerId: string): ms.Consumer {
    for (const room of this.#rooms.values()) {
      const consumer = room.consumer(consumerId);
      if (consumer) return consumer;
    }
    throw new CascadeError('CONSUMER_NOT_FOUND');
  }

  /** Runs a request, turning whatever mediasoup throws into MEDIA_ERROR with its message. */
  async #run<T>(fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof CascadeError) throw error;
      throw new CascadeError('MEDIA_ERROR', error instanceof Error ? error.message : String(error));
    }
  }
}
