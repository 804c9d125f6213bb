import type { ParticipantMessage, ParticipantSnapshot } from '../../schemas/actors';
import { CascadeError, type ErrorCode } from '../../schemas/errors';
import type { ConsumerId, Identity, NodeId, ParticipantId, ProducerId, RoomId, TransportId } from '../../schemas/ids';
import type { ConsumerParams, DataConsumerParams, Direction, MediaKind, TrackSource, TransportParams } from '../../schemas/media';
import { can, type Permission, type Role } from '../../schemas/roles';
import type { LeaveReason } from '../../schemas/signaling';
import type { ParticipantPorts } from './ParticipantTypes';

const SOURCE_KIND: Record<TrackSource, MediaKind> = {
  microphone: 'audio',
  screen_audio: 'audio',
  camera: 'video',
  screen: 'video',
};

/**
 * One participant's session: its transports, producers and consumers on its media node, and the
 * rules for what it may do with them. Runs inside the participant's own queue. Everything it
 * owns is addressed by id on its media node; it never sees a mediasoup object.
 */
export class Participant {
  readonly id: ParticipantId;
  readonly roomId: RoomId;
  readonly identity: Identity;
  readonly role: Role;
  readonly mediaNodeId: NodeId;
  readonly gatewayNodeId: NodeId;
  readonly #name: string;
  readonly #joinedAt: string;
  readonly #rtpCapabilities: Record<string, unknown>;
  readonly #ports: ParticipantPorts;
  readonly #transports = new Map<TransportId, Direction>();
  readonly #producers = new Map<ProducerId, { kind: MediaKind; source: TrackSource; muted: boolean }>();
  readonly #consumers = new Map<ConsumerId, ProducerId>();
  /** The one data channel each way (closed with their transports on the media node). */
  #dataProducerId?: string;
  #dataConsumerId?: string;
  #closed = false;

  constructor(message: ParticipantMessage<'create'>, ports: ParticipantPorts) {
    this.id = message.participantId;
    this.roomId = message.roomId;
    this.identity = message.identity;
    this.role = message.role;
    this.mediaNodeId = message.mediaNodeId;
    this.gatewayNodeId = message.gatewayNodeId;
    this.#name = message.name;
    this.#joinedAt = message.joinedAt;
    this.#rtpCapabilities = message.rtpCapabilities;
    this.#ports = ports;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get counts(): { transports: number; producers: number; consumers: number } {
    return { transports: this.#transports.size, producers: this.#producers.size, consumers: this.#consumers.size };
  }

  snapshot(): ParticipantSnapshot {
    return {
      participantId: this.id,
      identity: this.identity,
      name: this.#name,
      role: this.role,
      mediaNodeId: this.mediaNodeId,
      gatewayNodeId: this.gatewayNodeId,
      joinedAt: this.#joinedAt,
      tracks: [...this.#producers].map(([producerId, p]) => ({
        producerId,
        participantId: this.id,
        identity: this.identity,
        kind: p.kind,
        source: p.source,
        muted: p.muted,
      })),
    };
  }

  async createTransport(direction: Direction, sctp?: boolean): Promise<TransportParams> {
    this.#assertOpen();
    this.#require(direction === 'send' ? 'publish' : 'subscribe');
    const params = await this.#ports.media.createWebRtcTransport(this.mediaNodeId, {
      roomId: this.roomId,
      participantId: this.id,
      direction,
      ...(sctp !== undefined ? { sctp } : {}),
    });
    this.#transports.set(params.id, direction);
    return params;
  }

  async connectTransport(transportId: TransportId, dtlsParameters: Record<string, unknown>): Promise<void> {
    this.#transport(transportId);
    await this.#ports.media.connectTransport(this.mediaNodeId, { transportId, dtlsParameters });
  }

  async restartIce(transportId: TransportId): Promise<{ iceParameters: Record<string, unknown> }> {
    this.#transport(transportId);
    return this.#ports.media.restartIce(this.mediaNodeId, { transportId });
  }

  async produce(request: ParticipantMessage<'produce'>): Promise<{ producerId: ProducerId }> {
    this.#assertOpen();
    this.#require('publish');
    if (this.#transport(request.transportId) !== 'send') throw new CascadeError('VALIDATION_FAILED', 'Produce on a send transport');
    if (SOURCE_KIND[request.source] !== request.kind)
      throw new CascadeError('VALIDATION_FAILED', `A ${request.source} track must be ${SOURCE_KIND[request.source]}`, [
        { path: '/source', message: `does not match kind ${request.kind}` },
      ]);
    if ([...this.#producers.values()].some((p) => p.source === request.source))
      throw new CascadeError('CONFLICT', `A ${request.source} track is already published`);
    const { producerId } = await this.#ports.media.produce(this.mediaNodeId, {
      transportId: request.transportId,
      kind: request.kind,
      rtpParameters: request.rtpParameters,
      source: request.source,
      ...(request.paused !== undefined ? { paused: request.paused } : {}),
    });
    const muted = request.paused ?? false;
    this.#producers.set(producerId, { kind: request.kind, source: request.source, muted });
    try {
      await this.#ports.room.trackPublished(this.roomId, this.mediaNodeId, {
        producerId,
        participantId: this.id,
        identity: this.identity,
        kind: request.kind,
        source: request.source,
        muted,
      });
    } catch (err) {
      // The room refused (we were removed meanwhile): do not leave an orphan producer behind.
      this.#producers.delete(producerId);
      await this.#ports.media.closeProducer(this.mediaNodeId, { producerId }).catch(() => undefined);
      throw err;
    }
    return { producerId };
  }

  async closeProducer(producerId: ProducerId): Promise<void> {
    this.#producer(producerId);
    this.#producers.delete(producerId);
    await this.#ports.media.closeProducer(this.mediaNodeId, { producerId });
    await this.#ports.room.trackUnpublished(this.roomId, this.id, producerId);
  }

  async setMuted(producerId: ProducerId, muted: boolean): Promise<void> {
    const producer = this.#producer(producerId);
    if (muted) await this.#ports.media.pauseProducer(this.mediaNodeId, { producerId });
    else await this.#ports.media.resumeProducer(this.mediaNodeId, { producerId });
    producer.muted = muted;
    await this.#ports.room.trackMuted(this.roomId, this.id, producerId, muted);
  }

  async consume(producerId: ProducerId): Promise<ConsumerParams> {
    this.#assertOpen();
    this.#require('subscribe');
    const recv = [...this.#transports].find(([, direction]) => direction === 'recv');
    if (!recv) throw new CascadeError('TRANSPORT_NOT_FOUND', 'Create a recv transport before consuming');
    if (this.#producers.has(producerId)) throw new CascadeError('CANNOT_CONSUME', 'Cannot consume your own track');
    await this.#ports.room.locateTrack(this.roomId, producerId, this.mediaNodeId);
    const params = await this.#ports.media.consume(this.mediaNodeId, {
      transportId: recv[0],
      producerId,
      rtpCapabilities: this.#rtpCapabilities,
    });
    this.#consumers.set(params.id, producerId);
    return params;
  }

  async resumeConsumer(consumerId: ConsumerId): Promise<void> {
    this.#consumer(consumerId);
    await this.#ports.media.resumeConsumer(this.mediaNodeId, { consumerId });
  }

  async setPreferredLayers(consumerId: ConsumerId, spatialLayer: number, temporalLayer?: number): Promise<void> {
    this.#consumer(consumerId);
    await this.#ports.media.setConsumerPreferredLayers(this.mediaNodeId, {
      consumerId,
      spatialLayer,
      ...(temporalLayer !== undefined ? { temporalLayer } : {}),
    });
  }

  /** Opens the data uplink on the send transport; the media node stamps our identity on every message. */
  async produceData(request: ParticipantMessage<'produceData'>): Promise<{ dataProducerId: string; maxMessageBytes: number }> {
    this.#assertOpen();
    this.#require('publish_data');
    if (this.#transport(request.transportId) !== 'send') throw new CascadeError('VALIDATION_FAILED', 'Produce data on a send transport');
    if (this.#dataProducerId) throw new CascadeError('CONFLICT', 'A data channel is already open');
    const result = await this.#ports.media.produceData(this.mediaNodeId, {
      transportId: request.transportId,
      identity: this.identity,
      sctpStreamParameters: request.sctpStreamParameters,
      ...(request.label !== undefined ? { label: request.label } : {}),
      ...(request.protocol !== undefined ? { protocol: request.protocol } : {}),
    });
    this.#dataProducerId = result.dataProducerId;
    return result;
  }

  /** The data downlink on the recv transport: every message for us arrives on it. */
  async consumeData(): Promise<DataConsumerParams> {
    this.#assertOpen();
    this.#require('subscribe');
    const recv = [...this.#transports].find(([, direction]) => direction === 'recv');
    if (!recv) throw new CascadeError('TRANSPORT_NOT_FOUND', 'Create a recv transport before consuming data');
    if (this.#dataConsumerId) throw new CascadeError('CONFLICT', 'Data is already being received');
    const params = await this.#ports.media.consumeData(this.mediaNodeId, { transportId: recv[0], identity: this.identity });
    this.#dataConsumerId = params.id;
    return params;
  }

  /** The media node refused one of our data messages: the client learns why (no request id to answer). */
  dataRejected(code: ErrorCode, message: string): void {
    this.#ports.signal({ roomId: this.roomId, to: [this.id], event: 'error', data: { code, message } });
  }

  /** A consumer went away on the media node (its producer closed): forget it, tell the client. */
  consumerClosed(consumerId: ConsumerId, producerId: ProducerId): void {
    if (!this.#consumers.delete(consumerId)) return;
    this.#ports.signal({ roomId: this.roomId, to: [this.id], event: 'consumer_closed', data: { consumerId, producerId } });
  }

  /** A producer went away under us (its transport closed): the room must stop announcing it. */
  async producerClosed(producerId: ProducerId): Promise<void> {
    if (!this.#producers.delete(producerId)) return;
    await this.#ports.room.trackUnpublished(this.roomId, this.id, producerId).catch(() => undefined);
  }

  /** Releases all media and leaves the room. Idempotent; tolerant of a room already gone. */
  async leave(reason: LeaveReason): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#transports.clear();
    this.#producers.clear();
    this.#consumers.clear();
    await Promise.allSettled([
      this.#ports.media.closeParticipant(this.mediaNodeId, { roomId: this.roomId, participantId: this.id }),
      this.#ports.room.leave(this.roomId, this.id, reason),
    ]);
  }

  #require(permission: Permission): void {
    if (!can(this.role, permission)) throw new CascadeError('FORBIDDEN', `Role ${this.role} may not ${permission}`);
  }

  #assertOpen(): void {
    if (this.#closed) throw new CascadeError('PARTICIPANT_NOT_FOUND', 'Participant has left');
  }

  #transport(transportId: TransportId): Direction {
    const direction = this.#transports.get(transportId);
    if (!direction) throw new CascadeError('TRANSPORT_NOT_FOUND');
    return direction;
  }

  #producer(producerId: ProducerId): { kind: MediaKind; source: TrackSource; muted: boolean } {
    const producer = this.#producers.get(producerId);
    if (!producer) throw new CascadeError('PRODUCER_NOT_FOUND');
    return producer;
  }

  #consumer(consumerId: ConsumerId): ProducerId {
    const producerId = this.#consumers.get(consumerId);
    if (!producerId) throw new CascadeError('CONSUMER_NOT_FOUND');
    return producerId;
  }
}
