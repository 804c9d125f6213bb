import type { LocatedTrack } from '../../schemas/actors';
import type { EgressTrack } from '../../schemas/egress';
import { CascadeError } from '../../schemas/errors';
import type { NodeId, ParticipantId, ProducerId } from '../../schemas/ids';
import type { TrackInfo } from '../../schemas/signaling';
import type { Member } from './Member';
import type { Members } from './Members';
import type { RoomEgress } from './RoomEgress';
import type { RoomPorts } from './RoomTypes';

/**
 * The room's published tracks: who publishes what, on which node, muted or not. Each change is
 * told to the other members and to the room's egress jobs (which record unmuted tracks only).
 * Part of the room: called from Room, in the room's queue.
 */
export class RoomTracks {
  readonly #members: Members;
  readonly #ports: RoomPorts;
  readonly #egress: RoomEgress;
  readonly #mediaNodes: Set<NodeId>;

  constructor(members: Members, ports: RoomPorts, egress: RoomEgress, mediaNodes: Set<NodeId>) {
    this.#members = members;
    this.#ports = ports;
    this.#egress = egress;
    this.#mediaNodes = mediaNodes;
  }

  published(nodeId: NodeId, track: TrackInfo): void {
    const member = this.#members.require(track.participantId);
    member.tracks.set(track.producerId, { ...track, nodeId });
    this.#mediaNodes.add(nodeId);
    this.#ports.signal({ except: [member.id], event: 'track_published', data: track });
    if (!track.muted) this.#egress.trackAdded({ producerId: track.producerId, participantId: member.id, kind: track.kind });
  }

  unpublished(participantId: ParticipantId, producerId: ProducerId): void {
    const member = this.#members.get(participantId);
    if (!member || !member.tracks.delete(producerId)) return;
    this.#announceGone(member, producerId);
  }

  /** A member left: its tracks are gone for the others and for egress (the member keeps its list). */
  memberLeft(member: Member): void {
    for (const producerId of member.tracks.keys()) this.#announceGone(member, producerId);
  }

  /** Tracks that lived on a lost node but belong to members elsewhere. */
  lostOn(nodeId: NodeId): void {
    for (const member of this.#members.values()) {
      for (const track of [...member.tracks.values()]) if (track.nodeId === nodeId) this.unpublished(member.id, track.producerId);
    }
  }

  setMuted(member: Member, producerId: ProducerId, muted: boolean, by?: string): void {
    const track = member.tracks.get(producerId);
    if (!track) throw new CascadeError('PRODUCER_NOT_FOUND');
    track.muted = muted;
    if (muted) this.#egress.trackRemoved(producerId);
    else this.#egress.trackAdded({ producerId, participantId: member.id, kind: track.kind });
    this.#ports.signal({
      event: 'muted',
      data: { participantId: member.id, identity: member.identity, producerId, track: track.source, muted, ...(by ? { by } : {}) },
    });
  }

  /** Where a track lives, after making it consumable on `nodeId` (a pipe, when it lives elsewhere). */
  async locate(producerId: ProducerId, nodeId: NodeId): Promise<LocatedTrack> {
    const track = this.#members.track(producerId);
    if (track.nodeId !== nodeId) await this.#ports.ensureTrackOnNode(producerId, track.nodeId, nodeId);
    return { producerId, kind: track.kind, nodeId: track.nodeId };
  }

  activeSpeaker(producerId: ProducerId): void {
    for (const member of this.#members.values()) {
      if (member.tracks.has(producerId)) {
        this.#ports.signal({ event: 'active_speaker', data: { participantId: member.id, identity: member.identity } });
        return;
      }
    }
  }

  /** What an egress job starting now records: every unmuted track, with its node. */
  unmuted(): (EgressTrack & { nodeId: NodeId })[] {
    return [...this.#members.values()].flatMap((m) =>
      [...m.tracks.values()].filter((t) => !t.muted).map((t) => ({ producerId: t.producerId, participantId: m.id, kind: t.kind, nodeId: t.nodeId })),
    );
  }

  #announceGone(member: Member, producerId: ProducerId): void {
    this.#egress.trackRemoved(producerId);
    this.#ports.signal({ except: [member.id], event: 'track_unpublished', data: { producerId, participantId: member.id, identity: member.identity } });
  }
}
