import { CascadeError } from '../../schemas/errors';
import type { NodeId, ProducerId, RoomId } from '../../schemas/ids';

/**
 * Makes a track published on one node consumable on another (one pipe per track and remote
 * node). On a single node there is nothing to pipe.
 */
export interface TrackCascade {
  ensure(roomId: RoomId, producerId: ProducerId, from: NodeId, to: NodeId): Promise<void>;
  roomClosed(roomId: RoomId): void;
}

export class SingleNodeCascade implements TrackCascade {
  async ensure(_roomId: RoomId, producerId: ProducerId, from: NodeId, to: NodeId): Promise<void> {
    if (from !== to) throw new CascadeError('NODE_UNAVAILABLE', `Track ${producerId} lives on ${from}, not reachable from ${to}`);
  }

  roomClosed(): void {}
}
