import type { GatewaySignal, ParticipantSnapshot } from '../../schemas/actors';
import { ProducerIdSchema, type NodeId, type ParticipantId, type ProducerId, type RoomId } from '../../schemas/ids';
import type { Role } from '../../schemas/roles';
import { TrackInfoSchema, type LeaveReason, type TrackInfo } from '../../schemas/signaling';
import { validator } from '../../schemas/validate';
import type { WebhookPayload } from '../../schemas/webhooks';
import type { WebhookEmit } from './emitWebhook';

type Participant = WebhookPayload<'participant.joined'>['participant'];
const trackInfo = validator(TrackInfoSchema);
const producerId = validator(ProducerIdSchema);

/**
 * One room's webhook events, derived from what the room already tells its ports (RoomHost wires
 * them): no webhook logic inside Room. The room starts with its first participant, so a room
 * rebuilt after a failover (restored) does not start again; it finishes when it closes.
 */
export class RoomWebhooks {
  readonly #roomId: RoomId;
  readonly #emit: WebhookEmit;
  readonly #room: () => { name: string; createdAt: string } | undefined;
  /** Who is in the room (participant.left names them; the room has forgotten them by then). */
  readonly #participants = new Map<ParticipantId, Participant>();
  /** Published tracks (track.unpublished gives their kind and source). */
  readonly #tracks = new Map<ProducerId, TrackInfo>();
  #started = false;
  #name: string;

  constructor(roomId: RoomId, emit: WebhookEmit, room: () => { name: string; createdAt: string } | undefined) {
    this.#roomId = roomId;
    this.#emit = emit;
    this.#room = room;
    this.#name = roomId;
  }

  /** RoomPorts.sessionOpened. */
  joined(info: { participantId: ParticipantId; identity: string; name: string; role: Role; nodeId: NodeId; joinedAt: Date }): void {
    if (!this.#started) {
      this.#started = true;
      const room = this.#room();
      if (room) this.#name = room.name;
      this.#emit('room.started', { roomId: this.#roomId, room: { id: this.#roomId, name: this.#name, ...(room ? { createdAt: room.createdAt } : {}) } });
    }
    const participant: Participant = {
      id: info.participantId,
      identity: info.identity,
      name: info.name,
      role: info.role,
      nodeId: info.nodeId,
      joinedAt: info.joinedAt.toISOString(),
    };
    this.#participants.set(participant.id, participant);
    this.#emit('participant.joined', { roomId: this.#roomId, participant });
  }

  /** RoomPorts.sessionClosed. */
  left(info: { participantId: ParticipantId; reason: LeaveReason }): void {
    const participant = this.#participants.get(info.participantId);
    if (!participant) return;
    this.#participants.delete(info.participantId);
    for (const [producerId, track] of this.#tracks) if (track.participantId === info.participantId) this.#tracks.delete(producerId);
    this.#emit('participant.left', { roomId: this.#roomId, participant, reason: info.reason });
  }

  /** RoomPorts.signal: the track events the room sends its clients are the track webhooks. */
  signal(signal: Omit<GatewaySignal, 'roomId'>): void {
    if (signal.event === 'track_published' && trackInfo.check(signal.data)) {
      const track = signal.data;
      this.#tracks.set(track.producerId, track);
      this.#emit('track.published', { roomId: this.#roomId, track });
    } else if (signal.event === 'track_unpublished') {
      const data = signal.data as { producerId?: unknown; participantId?: ParticipantId; identity?: string };
      if (!producerId.check(data.producerId) || !data.participantId || !data.identity) return;
      const known = this.#tracks.get(data.producerId);
      this.#tracks.delete(data.producerId);
      const track = { producerId: data.producerId, participantId: data.participantId, identity: data.identity };
      this.#emit('track.unpublished', { roomId: this.#roomId, track: known ? { ...track, kind: known.kind, source: known.source } : track });
    }
  }

  /**
   * The room was rebuilt here after its owner died: its members and tracks are known again
   * (without announcing them), and those whose media died with the node have left.
   */
  restored(snapshots: ParticipantSnapshot[], lost: { participantId: ParticipantId; identity: string }[]): void {
    this.#started = true;
    const room = this.#room();
    if (room) this.#name = room.name;
    for (const s of snapshots) {
      const { participantId: id, identity, name, role, mediaNodeId: nodeId, joinedAt } = s;
      this.#participants.set(id, { id, identity, name, role, nodeId, joinedAt });
      for (const track of s.tracks) this.#tracks.set(track.producerId, track);
    }
    for (const p of lost) {
      if (this.#participants.has(p.participantId)) continue;
      this.#emit('participant.left', { roomId: this.#roomId, participant: { id: p.participantId, identity: p.identity }, reason: 'node_failed' });
    }
  }

  /** RoomPorts.closed. */
  finished(reason: string): void {
    if (!this.#started) return;
    this.#started = false;
    this.#emit('room.finished', { roomId: this.#roomId, room: { id: this.#roomId, name: this.#name }, reason });
  }
}
