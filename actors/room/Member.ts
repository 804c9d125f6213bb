import type { NodeId, ParticipantId, ProducerId } from '../../schemas/ids';
import type { ParticipantInfo, TrackInfo } from '../../schemas/signaling';
import type { Role } from '../../schemas/roles';

/** A participant as the room sees it: who, where its media lives, what it publishes. */
export class Member {
  readonly tracks = new Map<ProducerId, TrackInfo & { nodeId: NodeId }>();

  constructor(
    readonly id: ParticipantId,
    readonly identity: string,
    readonly name: string,
    readonly role: Role,
    readonly mediaNodeId: NodeId,
    readonly gatewayNodeId: NodeId,
    readonly joinedAt: Date,
  ) {}

  /** The kinds of source it publishes (for its session row). */
  sources(): string[] {
    return [...new Set([...this.tracks.values()].map((t) => t.source))];
  }

  info(): ParticipantInfo {
    return {
      id: this.id,
      identity: this.identity,
      name: this.name,
      role: this.role,
      joinedAt: this.joinedAt.toISOString(),
      tracks: [...this.tracks.values()].map(({ nodeId: _nodeId, ...track }) => track),
    };
  }
}
