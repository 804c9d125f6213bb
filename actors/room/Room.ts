import type { Actor, JoinResult, LocatedTrack, ParticipantSnapshot, RoomInfo, RoomMessage } from '../../schemas/actors';
import { CascadeError } from '../../schemas/errors';
import type { EgressInfo, EgressKind, EgressRequest } from '../../schemas/egress';
import type { EgressId, NodeId, ParticipantId, ProducerId, RoomId } from '../../schemas/ids';
import { can, isAnnounced, isPrivileged, type Role } from '../../schemas/roles';
import type { ChatMessage, JoinedData, LeaveReason, TrackInfo } from '../../schemas/signaling';
import { newId } from '../../store/ids';
import { verifyPassword } from '../../store/password';
import { ChatLog } from './ChatLog';
import { Lobby } from './Lobby';
import { Member } from './Member';
import { Members } from './Members';
import { RoomEgress } from './RoomEgress';
import { RoomTracks } from './RoomTracks';
import type { RoomPorts, RoomSettings } from './RoomTypes';

/**
 * One room's state and rules: membership, roles, lobby, tracks and where they live, chat, and the
 * room's lifecycle (created → members come and go → closed by a host, the API or the empty
 * timeout). Every method runs inside the room's queue (see EntityQueue), so there are no
 * interleavings to reason about. Media and clients are reached only through `RoomPorts`.
 */
export class Room {
  readonly id: RoomId;
  readonly ownerNodeId: NodeId;
  readonly createdAt: Date;
  readonly #settings: RoomSettings;
  readonly #ports: RoomPorts;
  readonly #members = new Members();
  readonly #lobby = new Lobby();
  readonly #chat: ChatLog;
  readonly #mediaNodes = new Set<NodeId>();
  readonly #egress: RoomEgress;
  readonly #tracks: RoomTracks;
  #emptyTimer?: { cancel(): void };
  #closed = false;

  constructor(id: RoomId, settings: RoomSettings, ownerNodeId: NodeId, ports: RoomPorts) {
    this.id = id;
    this.#settings = { ...settings };
    this.ownerNodeId = ownerNodeId;
    this.#ports = ports;
    this.#chat = new ChatLog(settings.chatHistory);
    this.#egress = new RoomEgress(id, ports);
    this.#tracks = new RoomTracks(this.#members, ports, this.#egress, this.#mediaNodes);
    this.createdAt = ports.now();
    this.#armEmptyTimer();
  }

  get closed(): boolean {
    return this.#closed;
  }

  get participantCount(): number {
    return this.#members.size;
  }

  members(): Member[] {
    return [...this.#members.values()];
  }

  loadChatHistory(messages: ChatMessage[]): void {
    this.#chat.load(messages);
  }

  info(): RoomInfo {
    return {
      id: this.id,
      name: this.#settings.name,
      status: this.#closed ? 'closed' : 'active',
      participantCount: this.#members.size,
      locked: this.#settings.locked,
      ownerNodeId: this.ownerNodeId,
      mediaNodeIds: [...this.#mediaNodes],
      createdAt: this.createdAt.toISOString(),
    };
  }

  // ---- membership ---------------------------------------------------------------------------

  async join(request: RoomMessage<'join'>): Promise<JoinResult> {
    this.#assertOpen();
    const privileged = isPrivileged(request.role);
    if (this.#settings.locked && !privileged) throw new CascadeError('ROOM_LOCKED');
    if (this.#settings.passwordHash && !privileged) {
      if (!request.password || !(await verifyPassword(request.password, this.#settings.passwordHash)))
        throw new CascadeError('WRONG_PASSWORD');
    }
    const participantId = newId('pa', 12) as ParticipantId;
    if (this.#settings.lobbyEnabled && !privileged) {
      const position = this.#lobby.add({ participantId, request, since: this.#ports.now() });
      this.#signalToRoles(['host', 'co_host'], 'lobby_request', { identity: request.identity, name: request.name });
      this.#ports.signal({ to: [participantId], event: 'lobby_waiting', data: { position } });
      return { status: 'waiting', participantId };
    }
    const joined = await this.#admit(participantId, request);
    return { status: 'joined', participantId, participantNodeId: joined.node.id, joined };
  }

  leave(participantId: ParticipantId, reason: LeaveReason): void {
    const member = this.#members.get(participantId);
    if (member) this.#remove(member, reason);
    else this.#lobby.removeParticipant(participantId);
  }

  kick(actor: Actor, identity: string): void {
    const by = this.#members.authorize(actor, 'kick');
    const target = this.#members.byIdentity(identity);
    this.#ports.signal({ to: [target.id], event: 'kicked', data: { by }, disconnect: true });
    this.#remove(target, 'kicked');
    this.#ports.removeParticipant(target.id, target.mediaNodeId, 'kicked');
  }

  async muteParticipant(actor: Actor, identity: string, source: TrackInfo['source']): Promise<void> {
    const target = this.#members.byIdentity(identity);
    const self = actor.kind === 'participant' && actor.participantId === target.id;
    const by = self ? target.identity : this.#members.authorize(actor, 'mute_others');
    const track = [...target.tracks.values()].find((t) => t.source === source);
    if (!track) throw new CascadeError('PRODUCER_NOT_FOUND', `${identity} publishes no ${source} track`);
    if (track.muted) return;
    await this.#ports.setProducerPaused(track.nodeId, track.producerId, true);
    this.#tracks.setMuted(target, track.producerId, true, by);
  }

  setLocked(actor: Actor, locked: boolean): void {
    const by = this.#members.authorize(actor, 'lock_room');
    this.#settings.locked = locked;
    this.#ports.signal({ event: 'room_locked', data: { locked, by } });
  }

  close(actor: Actor, reason = 'closed_by_host'): void {
    this.#members.authorize(actor, 'close_room');
    this.shutdown(reason);
  }

  /** Closes the room for good: everyone is told and disconnected, media released. Idempotent. */
  shutdown(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#emptyTimer?.cancel();
    this.#ports.signal({ event: 'room_closed', data: { reason }, disconnect: true });
    for (const member of this.#members.values()) {
      this.#ports.sessionClosed({ participantId: member.id, reason: 'room_closed', leftAt: this.#ports.now(), sources: member.sources() });
      this.#ports.removeParticipant(member.id, member.mediaNodeId, 'room_closed');
    }
    this.#members.clear();
    this.#lobby.takeAll();
    this.#egress.roomClosed();
    void this.#ports.closeMedia([...this.#mediaNodes]).catch(() => undefined);
    this.#ports.closed(this.id, reason);
  }

  /**
   * Rebuilds membership from the participant actors that survived the previous owner (failover).
   * Nobody is announced: the clients already know each other.
   */
  restore(snapshots: ParticipantSnapshot[]): void {
    for (const s of snapshots) {
      if (this.#members.has(s.participantId)) continue;
      const member = new Member(s.participantId, s.identity, s.name, s.role, s.mediaNodeId, s.gatewayNodeId, new Date(s.joinedAt));
      for (const track of s.tracks) member.tracks.set(track.producerId, { ...track, nodeId: s.mediaNodeId });
      this.#members.set(member.id, member);
      this.#mediaNodes.add(s.mediaNodeId);
    }
    if (this.#members.size > 0) {
      this.#emptyTimer?.cancel();
      this.#emptyTimer = undefined;
    }
  }

  /** Tells the clients that participants who lived on a lost node are gone (after a failover). */
  forget(participants: { participantId: ParticipantId; identity: string }[], reason: LeaveReason): void {
    for (const p of participants) {
      if (this.#members.has(p.participantId)) continue;
      this.#ports.signal({ except: [p.participantId], event: 'participant_left', data: { participantId: p.participantId, identity: p.identity, reason } });
    }
  }

  /**
   * This node is stopping: clients are told to reconnect and their sessions end, but the room
   * itself is not closed (it lives on in the store, and comes back on the next join).
   */
  suspend(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#emptyTimer?.cancel();
    this.#ports.signal({ event: 'reconnect', data: { reason: 'server_shutdown' }, disconnect: true });
    for (const member of this.#members.values()) {
      this.#ports.sessionClosed({ participantId: member.id, reason: 'server_shutdown', leftAt: this.#ports.now(), sources: member.sources() });
    }
    this.#members.clear();
    this.#lobby.takeAll();
    this.#egress.suspended();
    this.#ports.suspended(this.id);
  }

  // ---- lobby --------------------------------------------------------------------------------

  async lobbyAdmit(actor: Actor, identity: string): Promise<void> {
    this.#members.authorize(actor, 'admit_lobby');
    const waiting = this.#lobby.take(identity);
    if (!waiting) throw new CascadeError('PARTICIPANT_NOT_FOUND', `${identity} is not in the lobby`);
    const joined = await this.#admit(waiting.participantId, waiting.request);
    this.#ports.signal({ to: [waiting.participantId], event: 'joined', data: joined });
  }

  lobbyReject(actor: Actor, identity: string, reason?: string): void {
    this.#members.authorize(actor, 'admit_lobby');
    const waiting = this.#lobby.take(identity);
    if (!waiting) throw new CascadeError('PARTICIPANT_NOT_FOUND', `${identity} is not in the lobby`);
    this.#ports.signal({ to: [waiting.participantId], event: 'lobby_rejected', data: reason ? { reason } : {}, disconnect: true });
  }

  async lobbyAdmitAll(actor: Actor): Promise<number> {
    this.#members.authorize(actor, 'admit_lobby');
    let admitted = 0;
    for (const waiting of this.#lobby.all()) {
      if (this.#members.size >= this.#settings.maxParticipants) break;
      this.#lobby.take(waiting.request.identity);
      const joined = await this.#admit(waiting.participantId, waiting.request);
      this.#ports.signal({ to: [waiting.participantId], event: 'joined', data: joined });
      admitted++;
    }
    return admitted;
  }

  // ---- tracks -------------------------------------------------------------------------------

  trackPublished(nodeId: NodeId, track: TrackInfo): void {
    this.#tracks.published(nodeId, track);
  }

  trackUnpublished(participantId: ParticipantId, producerId: ProducerId): void {
    this.#tracks.unpublished(participantId, producerId);
  }

  trackMuted(participantId: ParticipantId, producerId: ProducerId, muted: boolean, by?: string): void {
    this.#tracks.setMuted(this.#members.require(participantId), producerId, muted, by);
  }

  locateTrack(producerId: ProducerId, nodeId: NodeId): Promise<LocatedTrack> {
    return this.#tracks.locate(producerId, nodeId);
  }

  activeSpeaker(producerId: ProducerId): void {
    this.#tracks.activeSpeaker(producerId);
  }

  /** Media on a node (a worker, or the whole node) is gone: its participants must rejoin. */
  mediaLost(nodeId: NodeId, reason: 'worker_died' | 'node_failed' | 'server_shutdown'): ParticipantId[] {
    const lost = [...this.#members.values()].filter((m) => m.mediaNodeId === nodeId);
    for (const member of lost) {
      this.#ports.signal({ to: [member.id], event: 'reconnect', data: { reason }, disconnect: true });
      this.#remove(member, reason);
      this.#ports.removeParticipant(member.id, member.mediaNodeId, reason);
    }
    // Tracks that lived there but belong to participants elsewhere (none today) are gone too.
    this.#tracks.lostOn(nodeId);
    this.#mediaNodes.delete(nodeId);
    this.#egress.nodeLost(nodeId);
    return lost.map((m) => m.id);
  }

  /**
   * This node is stopping and hands the room to another (actors/cluster/Handover.ts): members
   * whose media is here and joiners in the lobby are told to reconnect (they rejoin at the next
   * owner); everyone else keeps their media and only hears who left.
   */
  handOver(nodeId: NodeId): void {
    for (const waiting of this.#lobby.takeAll()) {
      this.#ports.signal({ to: [waiting.participantId], event: 'reconnect', data: { reason: 'server_shutdown' }, disconnect: true });
    }
    this.mediaLost(nodeId, 'server_shutdown');
  }

  // ---- egress (recording, RTMP) -------------------------------------------------------------

  async startEgress(actor: Actor, request: EgressRequest): Promise<EgressInfo> {
    this.#assertOpen();
    this.#members.authorize(actor, 'record');
    if (!this.#settings.recordingEnabled) throw new CascadeError('RECORDING_DISABLED');
    return this.#egress.start(request, this.#tracks.unmuted());
  }

  stopEgress(actor: Actor, kind: EgressKind, egressId?: EgressId): Promise<EgressInfo[]> {
    this.#members.authorize(actor, 'record');
    return this.#egress.stop(kind, egressId);
  }

  /** An egress job of this room changed: hosts see it live; an ended job is forgotten. */
  egressUpdated(info: EgressInfo): void {
    this.#egress.updated(info);
    this.#signalToRoles(['host', 'co_host'], 'egress_updated', info);
  }

  /** After a failover: the room's jobs still running on live nodes. */
  restoreEgress(infos: EgressInfo[]): void {
    this.#egress.restore(infos);
  }

  // ---- chat ---------------------------------------------------------------------------------

  chat(participantId: ParticipantId, text: string, to?: string): { id: string; ts: string } {
    const sender = this.#members.require(participantId);
    if (!can(sender.role, 'chat')) throw new CascadeError('FORBIDDEN', 'This role may not chat');
    const message: ChatMessage = {
      id: newId('msg', 12),
      from: { identity: sender.identity, name: sender.name },
      text,
      ts: this.#ports.now().toISOString(),
      ...(to ? { to } : {}),
    };
    if (to) {
      const target = this.#members.byIdentity(to);
      this.#ports.signal({ to: [sender.id, target.id], event: 'chat', data: message });
    } else {
      this.#ports.signal({ event: 'chat', data: message });
    }
    this.#chat.add(message);
    this.#ports.chatSaved(message);
    return { id: message.id, ts: message.ts };
  }

  // ---- internals ----------------------------------------------------------------------------

  async #admit(participantId: ParticipantId, request: RoomMessage<'join'>): Promise<JoinedData> {
    this.#assertOpen();
    const existing = this.#members.findIdentity(request.identity);
    if (existing) {
      // Same identity again (a reconnect, a second tab): the newest session wins, like LiveKit.
      this.#ports.signal({ to: [existing.id], event: 'kicked', data: { by: existing.identity, reason: 'duplicate_identity' }, disconnect: true });
      this.#remove(existing, 'duplicate_identity');
      this.#ports.removeParticipant(existing.id, existing.mediaNodeId, 'duplicate_identity');
    }
    if (this.#members.size >= this.#settings.maxParticipants) throw new CascadeError('ROOM_FULL');
    const placement = await this.#ports.place({
      identity: request.identity,
      gatewayNodeId: request.gatewayNodeId,
      ...(request.region ? { region: request.region } : {}),
    });
    const joinedAt = this.#ports.now();
    await this.#ports.createParticipant({
      participantId,
      roomId: this.id,
      identity: request.identity,
      name: request.name,
      role: request.role,
      mediaNodeId: placement.nodeId,
      gatewayNodeId: request.gatewayNodeId,
      joinedAt: joinedAt.toISOString(),
      rtpCapabilities: request.rtpCapabilities,
    });
    const member = new Member(participantId, request.identity, request.name, request.role, placement.nodeId, request.gatewayNodeId, joinedAt);
    this.#members.set(participantId, member);
    this.#mediaNodes.add(placement.nodeId);
    this.#emptyTimer?.cancel();
    this.#emptyTimer = undefined;
    if (isAnnounced(member.role)) this.#ports.signal({ except: [participantId], event: 'participant_joined', data: member.info() });
    this.#ports.sessionOpened({ participantId, identity: member.identity, name: member.name, role: member.role, nodeId: placement.nodeId, joinedAt: member.joinedAt });
    return {
      room: { id: this.id, name: this.#settings.name },
      self: member.info(),
      participants: [...this.#members.values()].filter((m) => m.id !== participantId && isAnnounced(m.role)).map((m) => m.info()),
      node: { id: placement.nodeId, region: placement.region },
      chatHistory: this.#chat.recent(),
    };
  }

  #remove(member: Member, reason: LeaveReason): void {
    this.#members.delete(member.id);
    this.#tracks.memberLeft(member);
    if (isAnnounced(member.role)) {
      this.#ports.signal({ except: [member.id], event: 'participant_left', data: { participantId: member.id, identity: member.identity, reason } });
    }
    this.#ports.sessionClosed({ participantId: member.id, reason, leftAt: this.#ports.now(), sources: member.sources() });
    if (this.#members.size === 0) this.#armEmptyTimer();
  }

  #armEmptyTimer(): void {
    if (this.#closed || this.#emptyTimer) return;
    this.#emptyTimer = this.#ports.setTimer(() => {
      this.#emptyTimer = undefined;
      if (this.#members.size === 0 && this.#lobby.size === 0) this.shutdown('empty_timeout');
    }, this.#settings.emptyTimeoutSeconds * 1000);
  }

  #signalToRoles(roles: Role[], event: string, data: unknown): void {
    const to = this.#members.withRoles(roles);
    if (to.length > 0) this.#ports.signal({ to, event, data });
  }

  #assertOpen(): void {
    if (this.#closed) throw new CascadeError('ROOM_CLOSED');
  }
}
