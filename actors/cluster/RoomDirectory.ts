import type { NodeId, RoomId } from '../../schemas/ids';

/**
 * Which node owns (hosts the actor of) each room. One owner per room: `claim` is atomic, so two
 * nodes racing to create the same room agree on one of them. In-memory on one node; Redis with
 * a lease when clustered (actors/cluster/RedisRoomDirectory.ts).
 */
export interface RoomDirectory {
  owner(roomId: RoomId): Promise<NodeId | undefined>;
  /** Claims the room for `nodeId` unless someone holds it; returns the owner after the call. */
  claim(roomId: RoomId, nodeId: NodeId): Promise<NodeId>;
  release(roomId: RoomId, nodeId: NodeId): Promise<void>;
}

export class MemoryRoomDirectory implements RoomDirectory {
  readonly #owners = new Map<RoomId, NodeId>();

  async owner(roomId: RoomId): Promise<NodeId | undefined> {
    return this.#owners.get(roomId);
  }

  async claim(roomId: RoomId, nodeId: NodeId): Promise<NodeId> {
    const current = this.#owners.get(roomId);
    if (current) return current;
    this.#owners.set(roomId, nodeId);
    return nodeId;
  }

  async release(roomId: RoomId, nodeId: NodeId): Promise<void> {
    if (this.#owners.get(roomId) === nodeId) this.#owners.delete(roomId);
  }
}
