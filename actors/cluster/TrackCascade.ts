import type { NodeId, ProducerId, RoomId } from '../../schemas/ids';

/**
 * Makes a track published on one node consumable on another, and tears the pipe down when it is
 * no longer needed. Implemented by PipeCascade (which is a no-op when both ends are one node).
 */
export interface TrackCascade {
  ensure(roomId: RoomId, producerId: ProducerId, from: NodeId, to: NodeId): Promise<void>;
  release(roomId: RoomId, producerId: ProducerId, to: NodeId): Promise<void>;
  originClosed(roomId: RoomId, producerId: ProducerId, to: NodeId): Promise<void>;
  nodeLost(nodeId: NodeId, liveNodes: NodeId[]): Promise<void>;
  roomClosed(roomId: RoomId): void;
}
