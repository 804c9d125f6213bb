import type { NodeId, ProducerId, RoomId, TransportId } from '../../schemas/ids';
import type { MediaRequest } from '../../schemas/media';
import type { TrackCascade } from './TrackCascade';

/** A call to the `media` service of one node. */
export type MediaCall = <T = unknown>(nodeId: NodeId, method: string, request: object) => Promise<T>;

interface Pipe {
  roomId: RoomId;
  producerId: ProducerId;
  from: NodeId;
  to: NodeId;
  pipeConsumerId: string;
}

/**
 * Makes a track published on node A consumable on node B: one PipeTransport pair per (room,
 * A, B) and one pipe consumer per (track, B), however many subscribers B has. The mirror on B
 * keeps the producer's id, so B's subscribers consume it as if it were local.
 *
 * Like mediasoup's own router-pair pipe cache, in-flight promises are shared so two concurrent
 * subscribers never build two pipes. Media nodes make every step idempotent as well, so a new
 * room owner rebuilding after a failover meets the existing pipes instead of duplicating them.
 */
export class PipeCascade implements TrackCascade {
  readonly #media: MediaCall;
  /** (room, node pair) → transport id on each node. */
  readonly #links = new Map<string, Promise<Map<NodeId, TransportId>>>();
  /** (room, track, destination node) → the pipe. */
  readonly #pipes = new Map<string, Promise<Pipe>>();

  constructor(media: MediaCall) {
    this.#media = media;
  }

  /** Pipes currently up (for stats and tests). */
  get size(): number {
    return this.#pipes.size;
  }

  ensure(roomId: RoomId, producerId: ProducerId, from: NodeId, to: NodeId): Promise<void> {
    if (from === to) return Promise.resolve();
    const key = pipeKey(roomId, producerId, to);
    let pending = this.#pipes.get(key);
    if (!pending) {
      pending = this.#open(roomId, producerId, from, to);
      this.#pipes.set(key, pending);
      pending.catch(() => {
        if (this.#pipes.get(key) === pending) this.#pipes.delete(key);
      });
    }
    return pending.then(() => undefined);
  }

  /** Nobody on `to` consumes the mirror any more: close it and the pipe consumer feeding it. */
  async release(roomId: RoomId, producerId: ProducerId, to: NodeId): Promise<void> {
    const pipe = await this.#take(roomId, producerId, to);
    if (!pipe) return;
    await Promise.allSettled([
      this.#media(pipe.from, 'closeConsumer', { consumerId: pipe.pipeConsumerId }),
      this.#media(to, 'closeProducer', { producerId }),
    ]);
  }

  /** The origin producer closed (its pipe consumer reported it): close the mirror on `to`. */
  async originClosed(roomId: RoomId, producerId: ProducerId, to: NodeId): Promise<void> {
    await this.#take(roomId, producerId, to);
    await this.#media(to, 'closeProducer', { producerId }).catch(() => undefined);
  }

  /** A node is gone: forget its pipes and close the live ends that pointed at it. */
  async nodeLost(nodeId: NodeId, liveNodes: NodeId[]): Promise<void> {
    for (const [key, pending] of [...this.#pipes]) {
      const pipe = await pending.catch(() => undefined);
      if (!pipe || pipe.from === nodeId || pipe.to === nodeId) this.#pipes.delete(key);
    }
    for (const key of [...this.#links.keys()]) if (key.split('|').includes(nodeId)) this.#links.delete(key);
    await Promise.allSettled(liveNodes.map((live) => this.#media(live, 'closePipeTransports', { remoteNodeId: nodeId })));
  }

  roomClosed(roomId: RoomId): void {
    for (const key of [...this.#pipes.keys()]) if (key.startsWith(`${roomId}|`)) this.#pipes.delete(key);
    for (const key of [...this.#links.keys()]) if (key.startsWith(`${roomId}|`)) this.#links.delete(key);
  }

  async #open(roomId: RoomId, producerId: ProducerId, from: NodeId, to: NodeId): Promise<Pipe> {
    const link = await this.#link(roomId, from, to);
    const fromTransport = endOf(link, from);
    const toTransport = endOf(link, to);
    const consumed = await this.#media<{ consumerId: string; kind: 'audio' | 'video'; rtpParameters: object; paused: boolean; source: string; participantId: string }>(
      from,
      'pipeConsume',
      { transportId: fromTransport, producerId } satisfies MediaRequest<'pipeConsume'>,
    );
    await this.#media(to, 'pipeProduce', {
      transportId: toTransport,
      producerId,
      kind: consumed.kind,
      rtpParameters: consumed.rtpParameters,
      paused: consumed.paused,
      source: consumed.source,
      participantId: consumed.participantId,
    });
    return { roomId, producerId, from, to, pipeConsumerId: consumed.consumerId };
  }

  #link(roomId: RoomId, a: NodeId, b: NodeId): Promise<Map<NodeId, TransportId>> {
    const key = [roomId, ...[a, b].sort()].join('|');
    let pending = this.#links.get(key);
    if (!pending) {
      pending = this.#connect(roomId, a, b);
      this.#links.set(key, pending);
      pending.catch(() => {
        if (this.#links.get(key) === pending) this.#links.delete(key);
      });
    }
    return pending;
  }

  async #connect(roomId: RoomId, a: NodeId, b: NodeId): Promise<Map<NodeId, TransportId>> {
    type End = { transportId: TransportId; ip: string; port: number; srtpParameters?: object };
    const [endA, endB] = await Promise.all([
      this.#media<End>(a, 'createPipeTransport', { roomId, remoteNodeId: b }),
      this.#media<End>(b, 'createPipeTransport', { roomId, remoteNodeId: a }),
    ]);
    const connect = (node: NodeId, self: End, peer: End) =>
      this.#media(node, 'connectPipeTransport', {
        transportId: self.transportId,
        ip: peer.ip,
        port: peer.port,
        ...(peer.srtpParameters ? { srtpParameters: peer.srtpParameters } : {}),
      });
    await Promise.all([connect(a, endA, endB), connect(b, endB, endA)]);
    return new Map([
      [a, endA.transportId],
      [b, endB.transportId],
    ]);
  }

  async #take(roomId: RoomId, producerId: ProducerId, to: NodeId): Promise<Pipe | undefined> {
    const key = pipeKey(roomId, producerId, to);
    const pending = this.#pipes.get(key);
    if (!pending) return undefined;
    this.#pipes.delete(key);
    return pending.catch(() => undefined);
  }
}

function pipeKey(roomId: RoomId, producerId: ProducerId, to: NodeId): string {
  return `${roomId}|${producerId}|${to}`;
}

function endOf(link: Map<NodeId, TransportId>, node: NodeId): TransportId {
  const transportId = link.get(node);
  if (!transportId) throw new Error(`pipe link has no end on ${node}`);
  return transportId;
}
