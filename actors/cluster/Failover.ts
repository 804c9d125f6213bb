import type { ServiceBroker } from 'moleculer';
import type { NodeId, RoomId } from '../../schemas/ids';
import type { RoomHost } from '../room/RoomHost';
import type { LeasedRoomDirectory } from './RedisRoomDirectory';
import type { TrackCascade } from './TrackCascade';

/**
 * What this node does when another node dies (NODE_LOST_EVENT: Moleculer's node-disconnect after
 * missed heartbeats, confirmed by its expired registry entry; see NodeDeathWatch): rooms it owns
 * drop the dead node's participants and pipes; rooms the dead node owned are taken over (one
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
    await this.cascade.nodeLost(dead, [this.nodeId]);
    await Promise.allSettled(this.host.rooms.map((room) => this.host.run(room.id, (r) => r.mediaLost(dead, 'node_failed'))));
    if (!this.directory) return;
    const live = this.liveNodes();
    for (const roomId of await this.directory.roomsOf(dead)) {
      const owner = await this.directory.takeOver(roomId, dead, this.nodeId).catch(() => undefined);
      if (owner !== this.nodeId) continue;
      await this.host.adopt(roomId as RoomId, dead, live).then(
        () => logger.info(`took over room ${roomId} from ${dead}`),
        (err: Error) => logger.error(`taking over room ${roomId} failed: ${err.message}`),
      );
    }
  }

  liveNodes(): NodeId[] {
    return this.broker.registry
      .getNodeList({ onlyAvailable: true, withServices: true })
      .filter((node) => (node.services as { name?: string }[]).some((s) => s.name === 'participant'))
      .map((node) => node.id as NodeId);
  }
}
