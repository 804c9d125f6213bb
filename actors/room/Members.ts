import type { Actor } from '../../schemas/actors';
import { CascadeError } from '../../schemas/errors';
import type { NodeId, ParticipantId, ProducerId } from '../../schemas/ids';
import { can, type Permission, type Role } from '../../schemas/roles';
import type { TrackInfo } from '../../schemas/signaling';
import type { Member } from './Member';

/** A room's members by participant id, with the lookups and the permission check its rules use. */
export class Members extends Map<ParticipantId, Member> {
  /** PARTICIPANT_NOT_FOUND when absent. */
  require(participantId: ParticipantId): Member {
    const member = this.get(participantId);
    if (!member) throw new CascadeError('PARTICIPANT_NOT_FOUND');
    return member;
  }

  byIdentity(identity: string): Member {
    const member = this.findIdentity(identity);
    if (!member) throw new CascadeError('PARTICIPANT_NOT_FOUND', `No participant ${identity} in the room`);
    return member;
  }

  findIdentity(identity: string): Member | undefined {
    for (const member of this.values()) if (member.identity === identity) return member;
    return undefined;
  }

  /** A published track and the node it lives on; PRODUCER_NOT_FOUND when nobody publishes it. */
  track(producerId: ProducerId): TrackInfo & { nodeId: NodeId } {
    for (const member of this.values()) {
      const track = member.tracks.get(producerId);
      if (track) return track;
    }
    throw new CascadeError('PRODUCER_NOT_FOUND');
  }

  withRoles(roles: readonly Role[]): ParticipantId[] {
    return [...this.values()].filter((m) => roles.includes(m.role)).map((m) => m.id);
  }

  /**
   * Checks the actor may do this; returns the identity to report as `by`. The API may do
   * anything; a token's bearer (REST) is checked by the role its verified token carries; a
   * participant must be a member whose role allows it.
   */
  authorize(actor: Actor, permission: Permission): string {
    if (actor.kind === 'api') return 'api';
    const role = actor.kind === 'token' ? actor.role : this.get(actor.participantId)?.role;
    if (!role) throw new CascadeError('NOT_JOINED');
    if (!can(role, permission)) throw new CascadeError('FORBIDDEN', `Role ${role} may not ${permission.replace('_', ' ')}`);
    return actor.kind === 'token' ? actor.identity : this.require(actor.participantId).identity;
  }
}
