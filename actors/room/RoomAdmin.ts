import type { ServiceBroker } from 'moleculer';
import { RoomActions, RoomAdminActions, type LocalRoomStats, type RoomAdminMessage, type RoomInfo } from '../../schemas/actors';
import type { Config } from '../../schemas/config';
import { toCascadeError } from '../../schemas/errors';
import type { RoomId } from '../../schemas/ids';
import type { ParticipantInfo } from '../../schemas/signaling';
import type { RoomRecord, Store } from '../../store';
import type { RoomHost } from './RoomHost';

export interface RoomView {
  room: RoomRecord;
  participantCount: number;
}

/**
 * What operators ask of rooms (REST API, CLI): stored rooms joined with what their live actors
 * know. Live state is asked of the room's owner through the broker, wherever it runs.
 */
export class RoomAdmin {
  constructor(
    readonly store: Store,
    readonly config: Config,
    readonly host: RoomHost,
    readonly broker: ServiceBroker,
  ) {}

  async create(message: RoomAdminMessage<'create'>): Promise<RoomRecord> {
    return this.store.rooms.create({
      name: message.name,
      maxParticipants: message.maxParticipants ?? this.config.room.maxParticipants,
      emptyTimeoutSeconds: message.emptyTimeoutSeconds ?? this.config.room.emptyTimeoutSeconds,
      ...(message.password ? { password: message.password } : {}),
      ...(message.lobbyEnabled !== undefined ? { lobbyEnabled: message.lobbyEnabled } : {}),
      ...(message.recordingEnabled !== undefined ? { recordingEnabled: message.recordingEnabled } : {}),
    });
  }

  async find(roomId: RoomId): Promise<RoomView> {
    const room = await this.store.rooms.require(roomId);
    return { room, participantCount: (await this.#live(room))?.participantCount ?? 0 };
  }

  /** Closes a room that has no live actor (nobody joined since the last restart). */
  async closeStored(roomId: RoomId): Promise<void> {
    await this.store.rooms.markClosed(roomId);
  }

  async list(query: RoomAdminMessage<'list'>): Promise<{ rooms: RoomView[]; total: number }> {
    const { rooms, total } = await this.store.rooms.list(query);
    const views = await Promise.all(rooms.map(async (room) => ({ room, participantCount: (await this.#live(room))?.participantCount ?? 0 })));
    return { rooms: views, total };
  }

  async participants(roomId: RoomId): Promise<ParticipantInfo[]> {
    const room = await this.store.rooms.require(roomId);
    if (room.status === 'closed') return [];
    try {
      return await this.broker.call<ParticipantInfo[], { roomId: RoomId }>(RoomActions.members, { roomId });
    } catch (err) {
      if (toCascadeError(err).code === 'ROOM_NOT_FOUND') return [];
      throw err;
    }
  }

  localStats(): LocalRoomStats {
    const stats: LocalRoomStats = { rooms: 0, participants: 0, tracks: { audio: 0, video: 0 } };
    for (const room of this.host.rooms) {
      stats.rooms++;
      for (const member of room.members()) {
        stats.participants++;
        for (const track of member.tracks.values()) stats.tracks[track.kind]++;
      }
    }
    return stats;
  }

  /** Sums every node's local statistics. */
  async clusterStats(): Promise<LocalRoomStats & { nodes: number }> {
    const nodes = this.broker.registry
      .getNodeList({ onlyAvailable: true, withServices: true })
      .filter((node) => (node.services as { name?: string }[]).some((service) => service.name === 'room'))
      .map((node) => node.id);
    const parts = await Promise.all(
      nodes.map((nodeID) => this.broker.call<LocalRoomStats, object>(RoomAdminActions.localStats, {}, { nodeID }).catch(() => undefined)),
    );
    const total = { rooms: 0, participants: 0, tracks: { audio: 0, video: 0 }, nodes: nodes.length };
    for (const part of parts) {
      if (!part) continue;
      total.rooms += part.rooms;
      total.participants += part.participants;
      total.tracks.audio += part.tracks.audio;
      total.tracks.video += part.tracks.video;
    }
    return total;
  }

  async #live(room: RoomRecord): Promise<RoomInfo | undefined> {
    if (room.status === 'closed') return undefined;
    try {
      return await this.broker.call<RoomInfo, { roomId: string }>(RoomActions.get, { roomId: room.id });
    } catch (err) {
      if (toCascadeError(err).code === 'ROOM_NOT_FOUND') return undefined;
      throw err;
    }
  }
}
