import type { NodeId } from '../../schemas/ids';
import type { Placement } from '../room/RoomTypes';

/** Who asks for a placement: the joiner's region hint, and the gateway node it connected to. */
export interface PlacementRequest {
  region?: string;
  identity: string;
  /**
   * The gateway holding the joiner's connection. Placement runs on the room's owner, which may be
   * another node: without a hint the joiner belongs to its gateway's region, not the owner's.
   */
  gateway?: { nodeId: NodeId; region: string };
}

/** Chooses the media node for a joiner. */
export interface PlacementPolicy {
  place(request: PlacementRequest): Promise<Placement>;
}

/** One node: every participant's media stays here. */
export class LocalPlacement implements PlacementPolicy {
  constructor(
    readonly nodeId: NodeId,
    readonly region: string,
  ) {}

  async place(): Promise<Placement> {
    return { nodeId: this.nodeId, region: this.region };
  }
}
