import type { ServiceBroker } from 'moleculer';
import type { NodeId, RoomId } from '../../schemas/ids';
import type { RoomHost } from '../room/RoomHost';
import type { LeasedRoomDirectory } from './RedisRoomDirectory';
import type { TrackCascade } from './TrackCascade';

/**
 * What this node does when another node dies (NODE_LOST_EVENT, see NodeDeathWatch): rooms it
 * owns drop the dead node's participants and pipes; rooms the dead node owned are taken over (one
 * survivor wins each, atomically in Redis) and rebuilt from the participant actors still alive.
 */
export class Failover {
  constructor(
    readonly broker: ServiceBroker,
    readonly host: RoomHost,
    readonly directory: LeasedRoomDirectory | undefined,
    readonly cascade: TrackCascade,
  ) {}

  get nodeId(): NodeId {
    return this.broker.nodeID as NodeId;
  }

  async nodeLost(dead: NodeId): Promise<void> {
    const logger = this.broker.getLogger('failover');
    logger.warn(`node ${dead} is gone: releasing its media and taking over its rooms`);
    // Both at once: participants rejoining right away wait on the takeover, not on the clean-up.
    await Promise.all([this.#release(dead), this.#takeOver(dead)]);
  }

  /**
   * A stopping node hands `roomId` over to this one (see Handover): take it if that node still
   * owns it, and rebuild it from the participant actors on the other live nodes. The stopping node
   * has already said goodbye for its own participants, so nobody is announced gone here.
   */
  async adopt(roomId: RoomId, from: NodeId): Promise<boolean> {
    if (!this.directory) return false;
    const owner = await this.directory.takeOver(roomId, from, this.nodeId);
    if (owner !== this.nodeId) return false;
    await this.host.adopt(roomId, from, this.liveNodes().filter((id) => id !== from), { handover: true });
    this.broker.getLogger('failover').info(`room ${roomId} handed over by ${from}`);
    return true;
  }

  liveNodes(): NodeId[] {
    return this.broker.registry
      .getNodeList({ onlyAvailable: true, withServices: true })
      .filter((node) => (node.services as { name?: string }[]).some((s) => s.name === 'participant'))
      .map((node) => node.id as NodeId);
  }

  async #release(dead: NodeId): Promise<void> {
    await this.cascade.nodeLost(dead, [this.nodeId]);
    await Promise.allSettled(this.host.rooms.map((room) => this.host.run(room.id, (r) => r.mediaLost(dead, 'node_failed'))));
  }

  async #takeOver(dead: NodeId): Promise<void> {
    if (!this.directory) return;
    const logger = this.broker.getLogger('failover');
    const live = this.liveNodes();
    const rooms = await this.directory.roomsOf(dead);
    await Promise.all(
      rooms.map(async (roomId) => {
        const owner = await this.directory?.takeOver(roomId, dead, this.nodeId).catch(() => undefined);
        if (owner !== this.nodeId) return;
        await this.host.adopt(roomId as RoomId, dead, live).then(
          () => logger.info(`took over room ${roomId} from ${dead}`),
          (err: Error) => logger.error(`taking over room ${roomId} failed: ${err.message}`),
        );
      }),
    );
  }
}
