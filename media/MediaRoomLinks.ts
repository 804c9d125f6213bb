import type { types as ms } from 'mediasoup';
import { CascadeError } from '../schemas/errors';
import type { ConsumerId, ParticipantId, ProducerId, TransportId } from '../schemas/ids';
import type { ConsumerAppData, MediaRoom, TransportAppData } from './MediaRoom';
import type {
  ConnectPipeTransportRequest,
  PipeConsumeRequest,
  PipeConsumerParams,
  PipeProduceRequest,
  PipeTransportParams,
  PlainConsumerParams,
  PlainConsumerRequest,
  PlainProducerParams,
  PlainProducerRequest,
} from './MediaNodeTypes';

/**
 * A room's RTP links that are not WebRTC: plain transports (RTP in from ffmpeg, RTP out to
 * egress) and pipe transports (this node <-> another node of the same room).
 *
 * The pipe steps are idempotent and cache their in-flight promises, like mediasoup's
 * Router.pipeToRouter() pair cache: two concurrent requests to pipe producer P to node B get
 * one pipe transport and one pipe consumer, and a second pipeProduce of P is a no-op. The
 * orchestration across nodes (who calls what where) belongs to the caller.
 */
export class RoomLinks {
  readonly #room: MediaRoom;
  /** remoteNodeId -> the one pipe transport towards that node. */
  readonly #pipeTransports = new Map<string, Promise<ms.PipeTransport<TransportAppData>>>();
  /** transportId -> where it was connected (a pipe transport connects once). */
  readonly #pipeConnects = new Map<string, { ip: string; port: number; done: Promise<void> }>();
  /** `${transportId}/${producerId}` -> the pipe consumer feeding that producer through it. */
  readonly #pipeConsumers = new Map<string, Promise<PipeConsumerParams>>();
  /** producerId -> mirror producer being created. */
  readonly #pipeProducers = new Map<string, Promise<ProducerId>>();

  constructor(room: MediaRoom) {
    this.#room = room;
  }

  /**
   * A paused consumer on its own PlainTransport (rtcpMux off, connected, no comedia) sending to
   * remoteIp:remoteRtpPort / remoteRtcpPort; resumed at once with a key frame request. Closing
   * the consumer closes its transport.
   */
  async createPlainConsumer(request: PlainConsumerRequest): Promise<PlainConsumerParams> {
    const room = this.#room;
    if (!room.producer(request.producerId)) throw new CascadeError('PRODUCER_NOT_FOUND');
    const participantId = request.participantId ?? '';
    const transport = await this.#createPlainTransport({ participantId, direction: 'recv', comedia: false });
    try {
      await transport.connect({ ip: request.remoteIp, port: request.remoteRtpPort, rtcpPort: request.remoteRtcpPort });
      const consumer = await room.consume(transport, request.producerId, request.rtpCapabilities ?? room.router.rtpCapabilities, {
        participantId,
        transportId: transport.id,
      });
      consumer.observer.once('close', () => transport.close());
      await consumer.resume();
      if (consumer.kind === 'video') await consumer.requestKeyFrame();
      const rtcp = rtcpTuple(transport);
      return {
        transportId: transport.id as TransportId,
        consumerId: consumer.id as ConsumerId,
        producerId: request.producerId,
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters,
        localIp: transport.tuple.localIp,
        localRtpPort: transport.tuple.localPort,
        localRtcpPort: rtcp.localPort,
      };
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  /**
   * A producer on its own PlainTransport with comedia (the first packet's source becomes the
   * remote) and rtcpMux off: with rtcpMux on, comedia can latch onto ffmpeg's RTCP socket and
   * drop its RTP. Closing the producer closes its transport.
   */
  async createPlainProducer(request: PlainProducerRequest): Promise<PlainProducerParams> {
    const transport = await this.#createPlainTransport({ participantId: request.participantId, direction: 'send', comedia: true });
    try {
      const producerId = await this.#room.produce(transport, request);
      this.#room.producer(producerId)?.observer.once('close', () => transport.close());
      return {
        transportId: transport.id as TransportId,
        producerId,
        localIp: transport.tuple.localIp,
        localRtpPort: transport.tuple.localPort,
        localRtcpPort: rtcpTuple(transport).localPort,
      };
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  /** The pipe transport towards remoteNodeId (SRTP, RTX), created on first request. */
  async createPipeTransport(remoteNodeId: string): Promise<PipeTransportParams> {
    let pending = this.#pipeTransports.get(remoteNodeId);
    if (!pending) {
      const created = this.#createPipeTransport(remoteNodeId);
      pending = created;
      this.#pipeTransports.set(remoteNodeId, created);
      created.catch(() => {
        if (this.#pipeTransports.get(remoteNodeId) === created) this.#pipeTransports.delete(remoteNodeId);
      });
    }
    const transport = await pending;
    return {
      transportId: transport.id as TransportId,
      ip: transport.tuple.localIp,
      port: transport.tuple.localPort,
      ...(transport.srtpParameters ? { srtpParameters: transport.srtpParameters } : {}),
    };
  }

  /** Closes the pipe towards remoteNodeId: its pipe consumers and mirrored producers go with it. */
  async closePipeTransport(remoteNodeId: string): Promise<void> {
    const pending = this.#pipeTransports.get(remoteNodeId);
    if (!pending) return;
    const transport = await pending.catch(() => undefined);
    transport?.close();
  }

  /** Connects a pipe transport to its peer; repeating the same connect is a no-op. */
  async connectPipeTransport(transport: ms.PipeTransport<TransportAppData>, request: ConnectPipeTransportRequest): Promise<void> {
    const previous = this.#pipeConnects.get(transport.id);
    if (previous) {
      if (previous.ip !== request.ip || previous.port !== request.port) {
        throw new CascadeError('CONFLICT', `pipe transport already connected to ${previous.ip}:${previous.port}`);
      }
      return previous.done;
    }
    const done = transport.connect({
      ip: request.ip,
      port: request.port,
      ...(request.srtpParameters ? { srtpParameters: request.srtpParameters as ms.SrtpParameters } : {}),
    });
    const entry = { ip: request.ip, port: request.port, done };
    this.#pipeConnects.set(transport.id, entry);
    done.catch(() => {
      if (this.#pipeConnects.get(transport.id) === entry) this.#pipeConnects.delete(transport.id);
    });
    return done;
  }

  /** The pipe consumer sending a local producer through a pipe transport (one per pair). */
  async pipeConsume(transport: ms.PipeTransport<TransportAppData>, request: PipeConsumeRequest): Promise<PipeConsumerParams> {
    const key = `${transport.id}/${request.producerId}`;
    let pending = this.#pipeConsumers.get(key);
    if (!pending) {
      const created = this.#pipeConsume(transport, request.producerId, key);
      pending = created;
      this.#pipeConsumers.set(key, created);
      created.catch(() => {
        if (this.#pipeConsumers.get(key) === created) this.#pipeConsumers.delete(key);
      });
    }
    return pending;
  }

  /** A mirror of another node's producer, with the same id, fed through a pipe transport. */
  async pipeProduce(transport: ms.PipeTransport<TransportAppData>, request: PipeProduceRequest): Promise<ProducerId> {
    if (this.#room.producer(request.producerId)) return request.producerId;
    let pending = this.#pipeProducers.get(request.producerId);
    if (!pending) {
      pending = this.#room
        .produce(transport, {
          id: request.producerId,
          kind: request.kind,
          rtpParameters: request.rtpParameters,
          paused: request.paused,
          source: request.source,
          participantId: request.participantId,
          piped: true,
        })
        .finally(() => this.#pipeProducers.delete(request.producerId));
      this.#pipeProducers.set(request.producerId, pending);
    }
    return pending;
  }

  async #createPlainTransport(options: {
    participantId: string;
    direction: 'send' | 'recv';
    comedia: boolean;
  }): Promise<ms.PlainTransport<TransportAppData>> {
    const room = this.#room;
    const transport = await room.router.createPlainTransport<TransportAppData>({
      listenIp: room.listenIp,
      rtcpMux: false,
      comedia: options.comedia,
      appData: { roomId: room.roomId, participantId: options.participantId, type: 'plain', direction: options.direction },
    });
    room.trackTransport(transport);
    return transport;
  }

  async #createPipeTransport(remoteNodeId: string): Promise<ms.PipeTransport<TransportAppData>> {
    const room = this.#room;
    const transport = await room.router.createPipeTransport<TransportAppData>({
      listenIp: room.listenIp,
      enableSrtp: true,
      enableRtx: true,
      appData: { roomId: room.roomId, participantId: '', type: 'pipe', remoteNodeId },
    });
    room.trackTransport(transport);
    transport.observer.once('close', () => {
      this.#pipeTransports.delete(remoteNodeId);
      this.#pipeConnects.delete(transport.id);
    });
    return transport;
  }

  async #pipeConsume(transport: ms.PipeTransport<TransportAppData>, producerId: ProducerId, key: string): Promise<PipeConsumerParams> {
    const producer = this.#room.producer(producerId);
    if (!producer) throw new CascadeError('PRODUCER_NOT_FOUND');
    const consumer = await transport.consume<ConsumerAppData>({
      producerId,
      appData: { participantId: '', transportId: transport.id, remoteNodeId: transport.appData.remoteNodeId ?? '' },
    });
    consumer.observer.once('close', () => this.#pipeConsumers.delete(key));
    this.#room.trackConsumer(consumer);
    return {
      consumerId: consumer.id as ConsumerId,
      producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      paused: consumer.producerPaused,
      source: producer.appData.source,
      participantId: producer.appData.participantId as ParticipantId,
    };
  }
}

function rtcpTuple(transport: ms.PlainTransport): ms.TransportTuple {
  const tuple = transport.rtcpTuple;
  // Always present with rtcpMux off; checked so a mediasoup change fails loudly, not with NaN ports.
  if (!tuple) throw new CascadeError('MEDIA_ERROR', 'plain transport has no RTCP tuple');
  return tuple;
}
