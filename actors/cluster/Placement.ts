import type { NodeId } from '../../schemas/ids';
import type { Placement } from '../room/RoomTypes';

/** Chooses the media node for a joiner. */
export interface PlacementPolicy {
  place(request: { region?: string; identity: string }): Promise<Placement>;
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
