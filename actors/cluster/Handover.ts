import type { ServiceBroker } from 'moleculer';
import { RoomActions } from '../../schemas/actors';
import type { NodeId, RoomId } from '../../schemas/ids';
import type { RoomHost } from '../room/RoomHost';

/**
 * A node that stops on purpose (SIGTERM: a rolling upgrade, scaling in) hands each room it owns
 * to a live node instead of suspending it. For each room, in its queue: members whose media is
 * on this node, and joiners in its lobby, are told to reconnect and announced gone (Room.handOver);
 * then the successor takes the lease over from this node, atomically, and rebuilds the room from
 * the participant actors on the live nodes (Failover.adopt); then this node forgets the room.
 * Members whose media is elsewhere keep their media, pipes and signaling, and notice nothing but
 * who left. Messages for the room meanwhile find this node's services gone (Moleculer announced it
 * stopping) and retry until the directory names the successor, whose rebuild they wait for.
 */
export class Handover {
  constructor(
    readonly broker: ServiceBroker,
    readonly host: RoomHost,
    /** Nodes that can host a room now (participant service up), this one included or not. */
    readonly liveNodes: () => NodeId[],
  ) {}

  get nodeId(): NodeId {
    return this.broker.nodeID as NodeId;
  }

  /** Hands every room over; those no live node took stay here (the caller suspends them). */
  async all(): Promise<void> {
    const live = this.liveNodes().filter((id) => id !== this.nodeId);
    if (live.length === 0) return;
    await Promise.all(this.host.rooms.map((room) => this.#handOver(room.id, live)));
  }

  async #handOver(roomId: RoomId, live: NodeId[]): Promise<void> {
    const logger = this.broker.getLogger('handover');
    const room = this.host.local(roomId);
    if (!room) return;
    const successor = chooseSuccessor(roomId, room.info().mediaNodeIds, live);
    try {
      await this.host.run(roomId, (r) => r.handOver(this.nodeId));
      const taken = await this.broker.call<boolean, { roomId: RoomId; fromNodeId: NodeId }>(
        RoomActions.adopt,
        { roomId, fromNodeId: this.nodeId },
        { nodeID: successor },
      );
      if (!taken) throw new Error(`${successor} did not take it (the lease is no longer ours)`);
      this.host.drop(roomId);
      logger.info(`room ${roomId} handed over to ${successor}`);
    } catch (err) {
      logger.warn(`handing room ${roomId} over to ${successor} failed, suspending it: ${(err as Error).message}`);
    }
  }
}

/**
 * The node to hand a room to: one of its media nodes (it already serves some of its members),
 * else any live node; spread over the candidates by room id, so a stopping node's rooms do not
 * all land on one node.
 */
export function chooseSuccessor(roomId: RoomId, mediaNodeIds: readonly NodeId[], live: readonly NodeId[]): NodeId {
  const serving = live.filter((id) => mediaNodeIds.includes(id));
  const candidates = [...(serving.length > 0 ? serving : live)].sort();
  if (candidates.length === 0) throw new Error('no live node to hand the room to');
  let hash = 0;
  for (let i = 0; i < roomId.length; i++) hash = (hash * 31 + roomId.charCodeAt(i)) >>> 0;
  return candidates[hash % candidates.length] as NodeId;
}
